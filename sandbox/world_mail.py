"""Mail threads between reps and the outside world, as they appear in each synced Gmail mailbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.world_context import SELLER_DOMAIN, GenContext, days_before
from sandbox.world_crm import Crm, Rep
from sandbox.world_intent import buying_chance, intent_of, lean_recent
from sandbox.world_models import Address, Attachment, Email, EmailThread
from sandbox.world_people import short_company, slugify
from sandbox.world_schema import SfRecord
from sandbox.world_text import (
    BUYING_INTENTS,
    NEWSLETTER_SENDERS,
    body,
    deal_slots,
    newsletter,
    quote_reply,
    subject,
)
from sandbox.world_truth import Truth

_KINDS = ("contact", "lead", "unknown", "personal", "newsletter")
_KIND_WEIGHTS = (58, 14, 8, 6, 14)
_ROLE_BOXES = ("procurement", "accounts.payable", "security", "it-vendors", "info")
_LEAD_INTENTS = ("intro", "scheduling", "pricing")
_OTHER_INTENTS = ("scheduling", "objection", "renewal", "checkin", "intro", "timeline")
_FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")


@dataclass
class Mail:
    threads: list[EmailThread] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)


@dataclass
class Plan:
    """Who talks to whom about what, before any message is written."""

    kind: str
    rep: Rep
    counterpart: Address
    account_id: str | None
    record_id: str | None
    intent: str
    company: str
    cc: list[Address] = field(default_factory=list)
    mailboxes: list[str] = field(default_factory=list)


class MailWriter:
    def __init__(self, ctx: GenContext, crm: Crm, truth: Truth) -> None:
        self.ctx, self.crm, self.truth = ctx, crm, truth
        self.rng = ctx.rng("mail")
        self.intent_rng = ctx.rng("buying_intent/mail")
        self.mailbox_reps = [rep for rep in crm.reps if rep.has_mailbox]
        self.reps = {rep.user_id: rep for rep in crm.reps}
        self.accounts = {account["Id"]: account for account in crm.accounts}
        self.contacts = [c for c in crm.contacts if c["Email"]]
        self.by_account: dict[str, list[SfRecord]] = {}
        for contact in self.contacts:
            self.by_account.setdefault(contact["AccountId"], []).append(contact)
        self.leads = [lead for lead in crm.leads if lead["Email"] and not lead["IsConverted"]]
        self.mail = Mail()

    def write(self, target: int) -> Mail:
        while len(self.mail.emails) < target:
            kind = self.rng.choices(_KINDS, weights=_KIND_WEIGHTS)[0]
            if kind == "newsletter":
                self._newsletter()
            else:
                self._conversation(self._plan(kind))
        return self.mail

    def exchange(self, plan: Plan, replied: bool) -> None:
        """A short thread for one designed identity case: the counterpart writes (to the rep, with `plan.cc`),
        and the rep sometimes answers."""
        plan.mailboxes = [plan.rep.email]
        slots = deal_slots(self.rng, plan.company, self.ctx.anchor)
        thread = EmailThread("", subject(self.rng, plan.intent, slots), plan.intent, plan.kind, plan.account_id,
                             plan.record_id, plan.counterpart)
        rep_address = Address(plan.rep.name, plan.rep.email)
        at = self._lean(plan, days_before(self.rng, self.ctx.anchor, 90, 3), 3)
        previous: list[Email] = []
        for sender, recipient in ((plan.counterpart, rep_address), (rep_address, plan.counterpart))[:1 + replied]:
            text = self._text(plan, sender is rep_address, slots, sender, recipient,
                              previous[-1] if previous else None)
            previous.append(self._deliver(plan, thread, sender, [recipient], text, at, previous))
            at += timedelta(minutes=self.rng.randrange(20, 2 * 24 * 60))
        if plan.intent in BUYING_INTENTS and plan.account_id:
            self.truth.intent_accounts.add(plan.account_id)
        self.mail.threads.append(thread)

    def _owner_mailbox(self, owner_id: str) -> Rep:
        rep = self.reps.get(owner_id)
        return rep if rep and rep.has_mailbox else self.rng.choice(self.mailbox_reps)

    def _address_of(self, record: SfRecord) -> Address:
        return self._person(record["FirstName"], record["LastName"], record["Email"])

    def _person(self, first: str, last: str, email: str) -> Address:
        """How a mail client shows this person: mostly `First Last`, sometimes `Last, First` or no name."""
        roll = self.rng.random()
        address = email if roll < 0.1 else email.lower()
        if roll < 0.12:
            return Address(f"{last}, {first}", address)
        return Address("" if roll > 0.95 else f"{first} {last}", address)

    def _intent(self, account_id: str | None) -> str:
        """In-market accounts decide on the writer's stream as they always did, the others on their own stream."""
        chance = buying_chance(intent_of(self.truth, account_id))
        in_market = account_id in self.truth.in_market_accounts
        if (self.rng if in_market else self.intent_rng).random() < chance:
            return self.rng.choice((*BUYING_INTENTS, "timeline"))
        return self.rng.choice(_OTHER_INTENTS)

    def _lean(self, plan: Plan, at: datetime, least_days: float) -> datetime:
        if plan.intent not in BUYING_INTENTS:
            return at
        return lean_recent(at, self.ctx.anchor, intent_of(self.truth, plan.account_id), least_days)

    def _plan(self, kind: str) -> Plan:
        rng = self.rng
        if kind == "lead":
            lead = rng.choice(self.leads)
            account_id = self.truth.domain_to_account.get(lead["Email"].split("@")[1].lower())
            intent = self._intent(account_id) if account_id else rng.choice(_LEAD_INTENTS)
            return Plan(kind, self._owner_mailbox(lead["OwnerId"]), self._address_of(lead), account_id,
                         lead["Id"], intent, short_company(lead["Company"]))
        contact = rng.choice(self.contacts)
        account = self.accounts[contact["AccountId"]]
        plan = Plan(kind, self._owner_mailbox(account["OwnerId"]), self._address_of(contact), account["Id"],
                     contact["Id"], self._intent(account["Id"]), short_company(account["Name"]))
        if kind == "unknown":
            self._stranger_at(plan, self.truth.account_domains[account["Id"]])
        elif kind == "personal":
            self._personal(plan, contact)
        elif rng.random() < 0.25:
            plan.cc.append(self._address_of(rng.choice(self.by_account[account["Id"]])))
        return plan

    def _stranger_at(self, plan: Plan, domain: str) -> None:
        """Someone at the account's domain who is in no CRM record: a colleague or a role mailbox."""
        plan.record_id = None
        if plan.intent == "procurement" and self.rng.random() < 0.5:
            box = self.rng.choice(_ROLE_BOXES)
            plan.counterpart = Address(f"{plan.company} {box.split('.')[0].title()}", f"{box}@{domain}")
        else:
            first, last = self.ctx.names.person()
            email = self.ctx.unique_email(f"{slugify(first)}.{slugify(last)}", domain)
            plan.counterpart = self._person(first, last, email)
        self.truth.unknown_addresses.add(plan.counterpart.email.lower())

    def _personal(self, plan: Plan, contact: SfRecord) -> None:
        """Half are a contact writing from a personal address, half strangers on free mail."""
        first, last = self.ctx.names.person()
        if self.rng.random() < 0.5:
            first, last = contact["FirstName"], contact["LastName"]
        else:
            plan.account_id, plan.record_id, plan.intent = None, None, self.rng.choice(("intro", "checkin"))
        local = f"{slugify(first)}.{slugify(last)}{self.rng.randrange(10, 99)}"
        email = self.ctx.unique_email(local, self.rng.choice(_FREE_MAIL))
        plan.counterpart = Address(f"{first} {last}", email)
        self.truth.unknown_addresses.add(email)
        if plan.record_id:
            self.truth.personal_aliases[email] = plan.record_id

    def _copy_colleague(self, plan: Plan) -> None:
        """Sometimes a second rep is on copy; when that rep's mailbox is synced, it gets its own copies."""
        colleague = self.rng.choice([rep for rep in self.crm.reps if rep is not plan.rep])
        plan.cc.append(Address(colleague.name, colleague.email))
        if colleague.has_mailbox:
            plan.mailboxes.append(colleague.email)

    def _conversation(self, plan: Plan) -> None:
        rng = self.rng
        rep_address = Address(plan.rep.name, plan.rep.email)
        plan.mailboxes = [plan.rep.email]
        if rng.random() < 0.15:
            self._copy_colleague(plan)
        slots = deal_slots(rng, plan.company, self.ctx.anchor)
        thread = EmailThread("", subject(rng, plan.intent, slots), plan.intent, plan.kind, plan.account_id,
                             plan.record_id, plan.counterpart)
        rep_starts = rng.random() < 0.6
        at = self._lean(plan, days_before(rng, self.ctx.anchor, 90, 0.05), 0.05)
        previous: list[Email] = []
        for index in range(rng.choices(range(1, 7), weights=(25, 30, 20, 12, 8, 5))[0]):
            if at >= self.ctx.anchor:
                break
            from_rep = (index % 2 == 0) == rep_starts
            sender, recipient = rep_address, plan.counterpart
            if not from_rep:
                sender, recipient = recipient, sender
            text = self._text(plan, from_rep, slots, sender, recipient, previous[-1] if previous else None)
            previous.append(self._deliver(plan, thread, sender, [recipient], text, at, previous))
            at += timedelta(minutes=rng.randrange(20, 3 * 24 * 60))
        if plan.intent in BUYING_INTENTS and plan.account_id:
            self.truth.intent_accounts.add(plan.account_id)
        self.mail.threads.append(thread)

    def _text(self, plan: Plan, from_rep: bool, slots: dict[str, str], sender: Address, recipient: Address,
              last: Email | None) -> str:
        names = {"from_first": _first(sender), "to_first": _first(recipient)}
        text = body(self.rng, plan.intent, from_rep, {**slots, **names})
        if last and self.rng.random() < 0.5:
            header = f"On {last.sent_at:%a, %b %d, %Y at %H:%M} {last.sender.header()} wrote:"
            text += quote_reply(last.body, header)
        return text

    def _deliver(self, plan: Plan, thread: EmailThread, sender: Address, to: list[Address], text: str,
                 at: datetime, previous: list[Email], title: str | None = None) -> Email:
        """Writes one message into every synced mailbox on the thread; returns the first copy."""
        rfc822 = self._rfc822(sender, at)
        thread.root_id = thread.root_id or rfc822
        title = title or (thread.subject if not previous else f"Re: {thread.subject}")
        copies = []
        for mailbox in plan.mailboxes:
            message_id = self.ctx.ids.gmail(at)
            thread_id = thread.thread_ids.setdefault(mailbox, message_id)
            copies.append(Email(
                message_id, thread_id, mailbox, sender, to, list(plan.cc), title, text, at,
                self._labels(mailbox, sender, plan.intent), rfc822,
                previous[-1].rfc822_id if previous else None, [p.rfc822_id for p in previous], plan.intent,
                plan.account_id, plan.record_id, self._attachments(plan, sender), self.rng.random() < 0.7,
            ))
            self.truth.message_intent[message_id] = plan.intent
            self.truth.message_account[message_id] = plan.account_id
        thread.message_count += 1
        self.mail.emails.extend(copies)
        return copies[0]

    def _labels(self, mailbox: str, sender: Address, intent: str) -> list[str]:
        if sender.email == mailbox:
            return ["SENT"]
        labels = ["INBOX"]
        if intent in BUYING_INTENTS and self.rng.random() < 0.5:
            labels.append("IMPORTANT")
        if self.rng.random() < 0.2:
            labels.append("UNREAD")
        return labels

    def _attachments(self, plan: Plan, sender: Address) -> list[Attachment]:
        from_rep = sender.email.endswith(SELLER_DOMAIN)
        if plan.intent == "pricing" and from_rep and self.rng.random() < 0.5:
            name = f"Northwind_Quote_{slugify(plan.company)}.pdf"
            return [Attachment(name, "application/pdf", self.rng.randrange(40_000, 400_000))]
        if plan.intent == "procurement" and self.rng.random() < 0.4:
            name = "Northwind_SOC2_Type_II.pdf" if from_rep else "Vendor_Security_Questionnaire.xlsx"
            kind = "application/pdf" if from_rep else "application/vnd.ms-excel"
            return [Attachment(name, kind, self.rng.randrange(20_000, 900_000))]
        return []

    def _rfc822(self, sender: Address, at: datetime) -> str:
        domain = sender.email.split("@")[1].strip().lower()
        if domain == SELLER_DOMAIN or domain in _FREE_MAIL:
            return f"<CA{self.ctx.ids.token(30)}@mail.gmail.com>"
        return f"<{at:%Y%m%d%H%M%S}.{self.ctx.ids.token(12).lower()}@mail.{domain}>"

    def _newsletter(self) -> None:
        rep = self.rng.choice(self.mailbox_reps)
        name, address = self.rng.choice(NEWSLETTER_SENDERS)
        title, text = newsletter(self.rng)
        sender = Address(name, address)
        plan = Plan("newsletter", rep, sender, None, None, "newsletter", name, mailboxes=[rep.email])
        thread = EmailThread("", title, "newsletter", "newsletter", None, None, sender)
        email = self._deliver(plan, thread, sender, [Address("", rep.email)], text,
                              days_before(self.rng, self.ctx.anchor, 90, 0.01), [])
        category = "CATEGORY_PROMOTIONS" if "unsubscribe" in text.lower() else "CATEGORY_UPDATES"
        email.labels = ["INBOX", category, *(["UNREAD"] if self.rng.random() < 0.6 else [])]
        email.has_html = True
        self.truth.noise_addresses.add(address)
        self.mail.threads.append(thread)


def _first(address: Address) -> str:
    name = address.name.split(",")[-1].strip() if "," in address.name else address.name
    return name.split(" ")[0] if name else "there"


def assign_history_ids(emails: list[Email], ctx: GenContext) -> None:
    """Gmail history ids grow with time within a mailbox; each mailbox starts from its own base."""
    rng = ctx.rng("history")
    by_mailbox: dict[str, list[Email]] = {}
    for email in emails:
        by_mailbox.setdefault(email.mailbox, []).append(email)
    for mailbox_emails in by_mailbox.values():
        history = rng.randrange(100_000, 5_000_000)
        for email in sorted(mailbox_emails, key=lambda e: (e.sent_at, e.message_id)):
            history += rng.randrange(1, 60)
            email.history_id = history
