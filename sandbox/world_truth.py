"""What the pipelines should find: the answers tests and evaluations compare against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

CASE_TYPES = (
    "exact", "lead", "case_variant", "plus_tag", "dotted_gmail", "personal_named", "personal_unnamed",
    "personal_alone", "domain_alias", "domain_colleague", "website_variant", "lookalike_domain", "converted_lead",
    "deleted_contact", "switchboard", "phone_format", "unknown", "noise",
)
"""Identity case labels: how an address or number came to be, decided when the world generated it."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is really behind one mail address or one call, and whether Salesforce holds a way to know it."""

    contact_id: str | None
    lead_id: str | None
    account_id: str | None
    case: str
    in_salesforce: bool
    """The address, the number or the account's domain is in Salesforce in some form (recall counts it)."""
    candidates: tuple[str, ...] = ()
    """Ambiguous by design (a switchboard number): every live contact that holds the number."""

    @property
    def ambiguous(self) -> bool:
        return bool(self.candidates)


@dataclass
class Truth:
    """Ground truth, keyed the way the warehouse will be (emails lowercased, phones in E.164)."""

    email_to_record: dict[str, str] = field(default_factory=dict)
    """Lowercased address → Contact id, or Lead id when no contact has it (a contact wins over its lead)."""
    phone_to_contact: dict[str, str] = field(default_factory=dict)
    phone_to_lead: dict[str, str] = field(default_factory=dict)
    account_domains: dict[str, str] = field(default_factory=dict)
    """Account id → the domain its people mail from (known even where Website is blank)."""
    domain_to_account: dict[str, str] = field(default_factory=dict)
    in_market_accounts: set[str] = field(default_factory=set)
    """Accounts the generator meant to be buying."""
    buying_intent: dict[str, float] = field(default_factory=dict)
    """Account id → its hidden buying intent in [0, 1]: in-market accounts 0.55 to 1.0, the others 0.0 to 0.45, drawn
    uniformly in each band (world_intent). It tilts, noisily, the chance that the account's threads and calls are
    about budget, pricing, procurement or timeline and how recent those threads are, how often the account meets
    (and about pricing or the contract), and its open opportunities' stage and close date. What account-scoring
    is judged against; no pipeline may read it."""
    intent_accounts: set[str] = field(default_factory=set)
    """Accounts whose threads or calls actually discuss budget approval, pricing or procurement."""
    negative_accounts: set[str] = field(default_factory=set)
    """Low-intent accounts where a customer wrote that they are not interested, chose a competitor or want to be
    unsubscribed (world_signals)."""
    auto_reply_messages: set[str] = field(default_factory=set)
    """Gmail message ids (every mailbox's copy) of out-of-office auto-replies, which are no engagement."""
    unknown_addresses: set[str] = field(default_factory=set)
    """Lowercased addresses seen in mail that belong to no Contact or Lead."""
    noise_addresses: set[str] = field(default_factory=set)
    """Newsletter and notification senders."""
    personal_aliases: dict[str, str] = field(default_factory=dict)
    """Personal (gmail.com) address → the Contact it belongs to; not resolvable by address alone."""
    message_intent: dict[str, str] = field(default_factory=dict)
    message_account: dict[str, str | None] = field(default_factory=dict)
    call_intent: dict[str, str] = field(default_factory=dict)
    call_record: dict[str, str | None] = field(default_factory=dict)
    """Dialpad call id → the Contact or Lead on the other end (None for unknown numbers)."""
    call_account: dict[str, str | None] = field(default_factory=dict)
    address_identity: dict[str, Identity] = field(default_factory=dict)
    """Every external address in mail, normalised as gmail-sync stores it (trimmed, lower-cased) → Identity."""
    call_identity: dict[str, Identity] = field(default_factory=dict)
    """Every Dialpad call id → the Identity on its external number."""
    key_owner: dict[str, str | None] = field(default_factory=dict)
    """Anthropic API key id → owner's email today (None for service keys)."""
    key_handovers: dict[str, tuple[date, str, str]] = field(default_factory=dict)
    """Key id → (handover day, previous owner, new owner); usage before that day is the previous owner's."""
    sheet_bad_rows: dict[int, str] = field(default_factory=dict)
    """Row index in `key_mapping_sheet` → why it must be rejected."""

    def record_for_email(self, address: str) -> str | None:
        return self.email_to_record.get(address.strip().lower())
