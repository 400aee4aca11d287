"""A deterministic synthetic company: its CRM, mail, calls and engineering org's AI usage.

`build_world(seed, scale, anchor)` gives the same world for the same arguments. Every fake source API in the
sandbox serves from one World, and tests mutate it (touch, delete) to simulate changes between syncs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.world_activity import build_activity
from sandbox.world_calls import build_calls
from sandbox.world_cases import build_mail
from sandbox.world_context import SELLER_DOMAIN, SELLER_NAME, GenContext
from sandbox.world_crm import Crm, Rep, build_accounts, build_contacts, build_users
from sandbox.world_custom import build_competitors, fill_custom_fields
from sandbox.world_eng import ApiKey, Engineer, Workspace, build_org
from sandbox.world_identity import mess_contacts, mess_leads
from sandbox.world_intent import draw_buying_intent
from sandbox.world_labels import label_identities
from sandbox.world_models import Call, Email, EmailThread
from sandbox.world_pipeline import build_leads, build_opportunities
from sandbox.world_schema import OBJECT_BY_PREFIX, WORLD_LISTS, SfRecord
from sandbox.world_truth import Truth
from sandbox.world_usage import ClaudeCodeDay, CursorMember, Usage, UsageRow, build_usage

__all__ = ["SELLER_DOMAIN", "SELLER_NAME", "World", "build_world", "default_anchor"]


@dataclass
class World:
    seed: int
    scale: int
    anchor: datetime
    users: list[SfRecord] = field(default_factory=list)
    reps: list[Rep] = field(default_factory=list)
    accounts: list[SfRecord] = field(default_factory=list)
    contacts: list[SfRecord] = field(default_factory=list)
    leads: list[SfRecord] = field(default_factory=list)
    opportunities: list[SfRecord] = field(default_factory=list)
    tasks: list[SfRecord] = field(default_factory=list)
    events: list[SfRecord] = field(default_factory=list)
    email_messages: list[SfRecord] = field(default_factory=list)
    profiles: list[SfRecord] = field(default_factory=list)
    user_roles: list[SfRecord] = field(default_factory=list)
    competitors: list[SfRecord] = field(default_factory=list)
    """Competitor__c, the org's custom object."""
    mailboxes: list[str] = field(default_factory=list)
    email_threads: list[EmailThread] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    engineers: list[Engineer] = field(default_factory=list)
    workspaces: list[Workspace] = field(default_factory=list)
    api_keys: list[ApiKey] = field(default_factory=list)
    anthropic_usage: list[UsageRow] = field(default_factory=list)
    claude_code_usage: list[ClaudeCodeDay] = field(default_factory=list)
    cursor_members: list[CursorMember] = field(default_factory=list)
    cursor_daily: list[dict[str, Any]] = field(default_factory=list)
    cursor_events: list[dict[str, Any]] = field(default_factory=list)
    cursor_cycle_start: datetime | None = None
    key_mapping_sheet: list[list[str]] = field(default_factory=list)
    cases: dict[str, list[str]] = field(default_factory=dict)
    """Identity case → the Salesforce record ids generated for it (contacts deleted, switchboard pairs, ...)."""
    truth: Truth = field(default_factory=Truth)
    _index: dict[str, SfRecord] = field(default_factory=dict, repr=False, compare=False)

    def records(self, object_type: str) -> list[SfRecord]:
        """The live list of one Salesforce object's records (append to it to create records)."""
        try:
            records: list[SfRecord] = getattr(self, WORLD_LISTS[object_type])
        except KeyError:
            raise KeyError(f"unknown Salesforce object {object_type!r}") from None
        return records

    def find(self, object_type: str, record_id: str) -> SfRecord | None:
        """The record with this Id; records appended to the lists later are found too."""
        if OBJECT_BY_PREFIX.get(record_id[:3]) != object_type:
            return None
        record = self._index.get(record_id)
        if record is None or record["Id"] != record_id:
            self._index.update((r["Id"], r) for r in self.records(object_type))
            record = self._index.get(record_id)
        return record

    def find_any(self, record_id: str) -> SfRecord | None:
        """The record behind any Salesforce id, its object told by the id's three-character key prefix."""
        object_type = OBJECT_BY_PREFIX.get(record_id[:3])
        return self.find(object_type, record_id) if object_type else None

    @staticmethod
    def touch(record: SfRecord, now: datetime) -> SfRecord:
        """An edit: Salesforce bumps LastModifiedDate and SystemModstamp."""
        record["LastModifiedDate"] = record["SystemModstamp"] = now
        return record

    @staticmethod
    def delete(record: SfRecord, now: datetime) -> SfRecord:
        """A soft delete to the recycle bin: only queryAll still sees the record."""
        record["IsDeleted"] = True
        record["SystemModstamp"] = now
        return record


def default_anchor() -> datetime:
    """Today at 00:00 UTC, so that generated data always looks recent."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def build_world(seed: int = 7, scale: int = 1, anchor: datetime | None = None) -> World:
    if scale < 1:
        raise ValueError("scale must be at least 1")
    anchor = anchor or default_anchor()
    if anchor.tzinfo is None:
        raise ValueError("anchor must be timezone-aware (UTC)")
    ctx = GenContext(seed, scale, anchor.astimezone(UTC))
    truth, crm = Truth(), Crm()
    build_users(ctx, crm)
    build_accounts(ctx, crm, truth)
    draw_buying_intent(ctx, crm, truth)
    build_contacts(ctx, crm, truth)
    mess_contacts(ctx, crm, truth)
    build_opportunities(ctx, crm, truth)
    build_leads(ctx, crm, truth)
    mess_leads(ctx, crm, truth)
    fill_custom_fields(ctx, crm)
    competitors = build_competitors(ctx, crm)
    mail = build_mail(ctx, crm, truth)
    calls = build_calls(ctx, crm, truth)
    label_identities(crm, truth, mail.emails, calls)
    activity = build_activity(ctx, crm, truth, calls, mail.emails)
    org = build_org(ctx, truth)
    usage: Usage = build_usage(ctx, org)
    return World(
        seed, scale, ctx.anchor, users=crm.users, reps=crm.reps, accounts=crm.accounts, contacts=crm.contacts,
        leads=crm.leads, opportunities=crm.opportunities, tasks=activity.tasks, events=activity.events,
        email_messages=activity.email_messages, profiles=crm.profiles, user_roles=crm.user_roles,
        competitors=competitors,
        mailboxes=[rep.email for rep in crm.reps if rep.has_mailbox],
        email_threads=mail.threads, emails=mail.emails, calls=calls, engineers=org.engineers,
        workspaces=org.workspaces, api_keys=org.api_keys, anthropic_usage=usage.anthropic,
        claude_code_usage=usage.claude_code, cursor_members=usage.cursor_members,
        cursor_daily=usage.cursor_daily, cursor_events=usage.cursor_events, cursor_cycle_start=usage.cursor_cycle_start,
        key_mapping_sheet=org.key_mapping_sheet, cases=crm.cases, truth=truth,
    )
