"""Which mailboxes a run syncs: the configured list, the active Salesforce users with a chosen profile or role,
or the members of a Google group, read afresh at the start of every run.

A mailbox that leaves the source (a rep who left: deactivated in Salesforce, removed from the group) is dropped
from the sync; its stored mail stays, and a purge still reaches it. One that joins has no cursor yet, so its first
run is a first sync. Addresses a directory lists outside COMPANY_DOMAINS (when set) are left out: delegation can
only act as the company's own users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gmail_directory import GroupDirectory
from gmail_settings import GmailSettings

from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
JOB = "gmail-sync"


class NoMailboxesError(ValueError):
    """The source named no mailbox: a sync of nothing is a configuration problem, not a success."""


@dataclass(frozen=True)
class MailboxSet:
    active: list[str]
    """The mailboxes the source names now, in order."""
    new: list[str]
    """Active ones no sync has a cursor or checkpoint for: their run is a first sync."""
    dropped: list[str]
    """Synced before, no longer in the source: not synced, stored mail kept."""


def _in_company(mailboxes: list[str], settings: GmailSettings) -> list[str]:
    domains = {d.lower() for d in settings.company_domain_list}
    if not domains:
        return mailboxes
    kept = [m for m in mailboxes if m.rpartition("@")[2] in domains]
    if left := sorted(set(mailboxes) - set(kept)):
        log.warning("left out %d address(es) outside COMPANY_DOMAINS: %s", len(left), ", ".join(left[:20]),
                    extra={"source": settings.gmail_mailbox_source, "left_out": len(left)})
    return kept


def source_mailboxes(settings: GmailSettings, warehouse: Warehouse,
                     directory: Callable[[], GroupDirectory]) -> list[str]:
    source = settings.gmail_mailbox_source
    if source == "list":
        return list(dict.fromkeys(settings.gmail_mailboxes))
    if source == "salesforce":
        rows = warehouse.query("jobs/gmail_mailboxes_salesforce.sql", {
            "profiles": [p.lower() for p in settings.gmail_mailbox_profiles],
            "roles": [r.lower() for r in settings.gmail_mailbox_roles]})
        found = [str(row["mailbox"]) for row in rows]
    else:
        found = directory().mailboxes(str(settings.gmail_mailbox_group))
    return _in_company(found, settings)


def resolve_mailboxes(settings: GmailSettings, warehouse: Warehouse,
                      directory: Callable[[], GroupDirectory]) -> MailboxSet:
    active = source_mailboxes(settings, warehouse, directory)
    if not active:
        raise NoMailboxesError({
            "list": "no mailboxes to sync: set GMAIL_MAILBOXES",
            "salesforce": "no mailboxes to sync: no active Salesforce user in sf_users has a profile of "
                          "GMAIL_MAILBOX_PROFILES or a role of GMAIL_MAILBOX_ROLES (has salesforce-sync run?)",
            "group": f"no mailboxes to sync: {settings.gmail_mailbox_group} has no active user members",
        }[settings.gmail_mailbox_source])
    known = [str(row["mailbox"]) for row in warehouse.query("jobs/gmail_known_mailboxes.sql", {"job": JOB})]
    mailboxes = MailboxSet(active, [m for m in active if m not in known], [m for m in known if m not in active])
    log.info("%d mailbox(es) from %s: %d new (first sync), %d dropped (stored mail kept)", len(active),
             settings.gmail_mailbox_source, len(mailboxes.new), len(mailboxes.dropped),
             extra={"source": settings.gmail_mailbox_source, "new_mailboxes": mailboxes.new,
                    "dropped_mailboxes": mailboxes.dropped})
    return mailboxes
