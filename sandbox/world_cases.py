"""Mail threads for the designed identity cases (world_identity picks the records), each recorded in
`Truth.address_identity` under the address as gmail-sync stores it."""

from __future__ import annotations

import random
from collections.abc import Callable

from sandbox.world_context import GenContext
from sandbox.world_crm import Crm
from sandbox.world_identity import PER_CASE
from sandbox.world_mail import Mail, MailWriter, Plan, assign_history_ids
from sandbox.world_models import Address
from sandbox.world_people import short_company, slugify
from sandbox.world_private import write_private_mail
from sandbox.world_schema import SfRecord
from sandbox.world_signals import SIGNAL_MAIL_PER_SCALE, write_auto_replies, write_negatives
from sandbox.world_truth import Identity, Truth

CASE_MAIL_PER_SCALE = 140
"""About how many messages the case threads add per scale unit; the ordinary mail makes room for them."""
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
_TAGS = ("crm", "sales", "vendors", "northwind", "invoices", "news")
_ALIASES = ("sales", "billing", "support", "accounts", "hello", "team", "invoices", "purchasing", "ap")
_LOOKALIKE_TLDS = {"com": "co", "io": "com", "ai": "com", "ca": "co", "co.uk": "uk.com", "com.au": "com"}


class _Cases:
    def __init__(self, writer: MailWriter) -> None:
        self.w, self.ctx, self.crm, self.truth = writer, writer.ctx, writer.crm, writer.truth
        self.rng: random.Random = writer.rng
        self.n = PER_CASE * self.ctx.scale
        self.contacts = {c["Id"]: c for c in self.crm.contacts}
        self.leads = {lead["Id"]: lead for lead in self.crm.leads}
        special = {i for ids in self.crm.cases.values() for i in ids}
        special |= {lead["ConvertedContactId"] for lead in self.crm.leads if lead["IsConverted"]}
        self.plain = [c for c in self.crm.contacts if c["Email"] and c["Id"] not in special
                      and "@gmail.com" not in c["Email"]]
        self.colleagues: dict[str, list[SfRecord]] = {}
        for contact in self.plain:
            self.colleagues.setdefault(contact["AccountId"], []).append(contact)

    def record(self, address: Address, identity: Identity) -> None:
        self.truth.address_identity[address.email.strip().lower()] = identity

    def thread(self, counterpart: Address, account: SfRecord | None, record_id: str | None,
               cc: list[Address] | None = None, kind: str = "contact") -> None:
        owner = account["OwnerId"] if account else self.rng.choice(self.crm.reps).user_id
        company = short_company(account["Name"]) if account else "your company"
        plan = Plan(kind, self.w._owner_mailbox(owner), counterpart, account["Id"] if account else None, record_id,
                    self.w._intent(account["Id"] if account else None), company, cc=list(cc or []))
        self.w.exchange(plan, replied=self.rng.random() < 0.3)

    def contact_identity(self, contact: SfRecord, case: str, in_salesforce: bool = True) -> Identity:
        return Identity(contact["Id"], None, contact["AccountId"], case, in_salesforce)

    def sample(self, pool: list[SfRecord]) -> list[SfRecord]:
        return self.rng.sample(pool, k=min(self.n, len(pool)))

    def case_variants(self, contacts: list[SfRecord]) -> None:
        for contact in contacts:
            email = contact["Email"].lower()
            local, domain = email.split("@")
            variant = self.rng.choice((email.upper(), f" {email} ", f"{local.capitalize()}@{domain.upper()}",
                                       f"  {contact['Email']}", f"{email.title()} "))
            address = Address(contact["Name"] if self.rng.random() < 0.7 else "", variant)
            self.record(address, self.contact_identity(contact, "case_variant"))
            self.thread(address, self.w.accounts[contact["AccountId"]], contact["Id"])

    def plus_tags(self, contacts: list[SfRecord]) -> None:
        for contact in contacts:
            local, domain = contact["Email"].lower().split("@")
            address = Address(contact["Name"], f"{local}+{self.rng.choice(_TAGS)}@{domain}")
            self.record(address, self.contact_identity(contact, "plus_tag"))
            self.thread(address, self.w.accounts[contact["AccountId"]], contact["Id"])

    def dotted_gmail(self) -> None:
        for contact_id in self.crm.cases["dotted_gmail"]:
            contact = self.contacts[contact_id]
            first = slugify(contact["FirstName"]).replace("-", "")
            last = slugify(contact["LastName"]).replace("-", "")
            local = contact["Email"].split("@")[0]
            dotted = self.rng.choice((f"{first}.{local[len(first):]}", ".".join(local),
                                      f"{first[0]}.{local[1:]}")) if local.startswith(first) else ".".join(local)
            domain = "googlemail.com" if self.rng.random() < 0.3 else "gmail.com"
            address = Address(contact["Name"] if self.rng.random() < 0.8 else "", f"{dotted}@{domain}")
            if address.email in self.ctx.emails_taken or not last:
                continue
            self.ctx.emails_taken.add(address.email)
            self.record(address, self.contact_identity(contact, "dotted_gmail"))
            self.thread(address, self.w.accounts[contact["AccountId"]], contact["Id"])

    def personal(self, named: bool) -> None:
        """A known contact writes from a personal address, with a colleague from the account on copy."""
        pool = [c for c in self.plain if len(self.colleagues[c["AccountId"]]) >= 2]
        for contact in self.sample(pool):
            first, last = slugify(contact["FirstName"]), slugify(contact["LastName"])
            email = self.ctx.unique_email(f"{first}.{last}{self.rng.randrange(10, 99)}", self.rng.choice(FREE_MAIL))
            name = self.rng.choice((contact["Name"], contact["Name"].upper(), contact["Name"].lower()))
            address = Address(name if named else "", email)
            colleague = self.rng.choice([c for c in self.colleagues[contact["AccountId"]] if c is not contact])
            self.truth.personal_aliases[email] = contact["Id"]
            self.truth.unknown_addresses.add(email)
            case = "personal_named" if named else "personal_unnamed"
            self.record(address, self.contact_identity(contact, case, in_salesforce=False))
            self.thread(address, self.w.accounts[contact["AccountId"]], contact["Id"],
                        cc=[self.w._address_of(colleague)])

    def domain_aliases(self) -> None:
        accounts = [a for a in self.crm.accounts if a["Website"]]
        for account in self.rng.sample(accounts, k=min(self.n, len(accounts))):
            domain = self.truth.account_domains[account["Id"]]
            free = [alias for alias in _ALIASES if f"{alias}@{domain}" not in self.ctx.emails_taken]
            alias = self.rng.choice(free)
            email = self.ctx.unique_email(alias, domain)
            name = f"{short_company(account['Name'])} {alias.title()}" if self.rng.random() < 0.6 else ""
            address = Address(name, email)
            self.truth.unknown_addresses.add(email)
            self.record(address, Identity(None, None, account["Id"], "domain_alias", True))
            self.thread(address, account, None, kind="unknown")

    def website_variants(self) -> None:
        accounts = {a["Id"]: a for a in self.crm.accounts}
        for account_id in self.crm.cases["website_variant"]:
            first, last = self.ctx.names.person()
            domain = self.truth.account_domains[account_id]
            address = self.w._person(first, last, self.ctx.unique_email(f"{slugify(first)}.{slugify(last)}", domain))
            self.truth.unknown_addresses.add(address.email.lower())
            self.record(address, Identity(None, None, account_id, "website_variant", True))
            self.thread(address, accounts[account_id], None, kind="unknown")

    def lookalikes(self, contacts: list[SfRecord]) -> None:
        """Mail from `acme.co` for a contact at `acme.com`: the same name and local part, no account's domain."""
        for contact in contacts:
            local, domain = contact["Email"].lower().split("@")
            name, tld = domain.split(".", 1)
            lookalike = f"{name}.{_LOOKALIKE_TLDS.get(tld, 'co')}"
            if lookalike in self.truth.domain_to_account or lookalike.split(".", 1)[1] == tld:
                lookalike = f"{name[0]}{name}.{tld}"
            if lookalike in self.truth.domain_to_account:
                continue
            address = Address(contact["Name"], self.ctx.unique_email(local, lookalike))
            self.truth.unknown_addresses.add(address.email.lower())
            self.record(address, Identity(None, None, None, "lookalike_domain", False))
            self.thread(address, None, None, kind="unknown")

    def converted_leads(self) -> None:
        for lead_id in self.crm.cases["converted_lead"]:
            lead = self.leads[lead_id]
            address = Address(lead["Name"], lead["Email"])
            self.record(address, Identity(lead["ConvertedContactId"], lead_id, lead["ConvertedAccountId"],
                                          "converted_lead", True))
            self.thread(address, self.w.accounts[lead["ConvertedAccountId"]], lead["ConvertedContactId"])

    def deleted_contacts(self) -> None:
        for contact_id in self.crm.cases["deleted_contact"]:
            contact = self.contacts[contact_id]
            account = self.w.accounts[contact["AccountId"]]
            address = self.w._address_of(contact)
            self.record(address, Identity(None, None, account["Id"], "deleted_contact", bool(account["Website"])))
            self.thread(address, account, contact_id)


def write_mail_cases(writer: MailWriter) -> None:
    writer.rng = writer.ctx.rng("mail-cases")
    cases = _Cases(writer)
    picked = cases.rng.sample(cases.plain, k=min(3 * cases.n, len(cases.plain)))
    cases.case_variants(picked[: cases.n])
    cases.plus_tags(picked[cases.n: 2 * cases.n])
    cases.lookalikes(picked[2 * cases.n:])
    steps: list[Callable[[], None]] = [
        cases.dotted_gmail, lambda: cases.personal(True), lambda: cases.personal(False), cases.domain_aliases,
        cases.website_variants, cases.converted_leads, cases.deleted_contacts]
    for step in steps:
        step()


def build_mail(ctx: GenContext, crm: Crm, truth: Truth) -> Mail:
    """The ordinary mail, then the case threads and the signals (each from its own random stream), then the
    private mail the privacy filter leaves out, then Gmail history ids."""
    writer = MailWriter(ctx, crm, truth)
    writer.write((600 - CASE_MAIL_PER_SCALE - SIGNAL_MAIL_PER_SCALE) * ctx.scale)
    write_mail_cases(writer)
    write_negatives(writer)
    write_auto_replies(writer)
    writer.mail.emails.extend(write_private_mail(ctx, crm))
    assign_history_ids(writer.mail.emails, ctx)
    return writer.mail

