"""Identity truth for every external address in mail and every call, from what the generator meant.

The designed cases (world_cases) are recorded as they are written; every other address and call is labelled
here from the records the generator drew, never by matching text the way a resolver would."""

from __future__ import annotations

from sandbox.world_context import SELLER_DOMAIN
from sandbox.world_crm import Crm
from sandbox.world_models import Call, Email
from sandbox.world_schema import SfRecord, is_deleted
from sandbox.world_truth import Identity, Truth

ROLE_BOXES = ("procurement", "accounts.payable", "security", "it-vendors", "info")


class _Labeller:
    def __init__(self, crm: Crm, truth: Truth) -> None:
        self.crm, self.truth = crm, truth
        self.records: dict[str, SfRecord] = {r["Id"]: r for r in (*crm.contacts, *crm.leads)}
        self.accounts = {a["Id"]: a for a in crm.accounts}
        self.noise_domains = {address.split("@")[1] for address in truth.noise_addresses}
        holders: dict[str, list[str]] = {}
        for record_id, phone in crm.phones.items():
            record = self.records[record_id]
            if record_id.startswith("003") and not is_deleted(record):
                holders.setdefault(phone.e164, []).append(record_id)
        self.holders = holders

    def _has_website(self, account_id: str | None) -> bool:
        return bool(account_id and self.accounts[account_id]["Website"])

    def _domain_account(self, address: str) -> str | None:
        return self.truth.domain_to_account.get(address.split("@")[1])

    def _record(self, record: SfRecord, exact_case: str) -> Identity:
        record_id = record["Id"]
        if record_id.startswith("003"):
            if is_deleted(record):
                account = record["AccountId"]
                return Identity(None, None, account, "deleted_contact", self._has_website(account))
            return Identity(record_id, None, record["AccountId"], exact_case, True)
        if record["IsConverted"]:
            return Identity(record["ConvertedContactId"], record_id, record["ConvertedAccountId"], "converted_lead",
                            True)
        account = self._domain_account(record["Email"].lower()) if record["Email"] else None
        return Identity(None, record_id, account, "lead", True)

    def address(self, address: str) -> Identity:
        truth = self.truth
        if address in truth.noise_addresses or address.split("@")[1] in self.noise_domains:
            return Identity(None, None, None, "noise", False)
        if address in truth.personal_aliases:
            contact = self.records[truth.personal_aliases[address]]
            return Identity(contact["Id"], None, contact["AccountId"], "personal_alone", False)
        if address in truth.email_to_record:
            return self._record(self.records[truth.email_to_record[address]], "exact")
        account = self._domain_account(address)
        if account:
            case = "domain_alias" if address.split("@")[0] in ROLE_BOXES else "domain_colleague"
            return Identity(None, None, account, case, self._has_website(account))
        return Identity(None, None, None, "unknown", False)

    def call(self, call: Call) -> Identity:
        if call.record_id is None:
            return Identity(None, None, None, "unknown", False)
        record = self.records[call.record_id]
        phone = self.crm.phones[call.record_id]
        if is_deleted(record):
            return Identity(None, None, record["AccountId"], "deleted_contact", False)
        holders = self.holders.get(phone.e164, [])
        if len(holders) > 1:
            return Identity(record["Id"], None, record["AccountId"], "switchboard", True, tuple(sorted(holders)))
        typed_exactly = record["Phone"] == phone.e164 and call.external_number == phone.e164
        return self._record(record, "exact" if typed_exactly else "phone_format")


def label_identities(crm: Crm, truth: Truth, emails: list[Email], calls: list[Call]) -> None:
    labeller = _Labeller(crm, truth)
    for email in emails:
        for person in (email.sender, *email.to, *email.cc):
            address = person.email.strip().lower()
            if not address.endswith("@" + SELLER_DOMAIN) and address not in truth.address_identity:
                truth.address_identity[address] = labeller.address(address)
    for domain in labeller.noise_domains:  # gmail_render gives newsletters a Reply-To support address
        truth.address_identity.setdefault(f"support@{domain}", Identity(None, None, None, "noise", False))
    for call in calls:
        truth.call_identity[call.call_id] = labeller.call(call)
