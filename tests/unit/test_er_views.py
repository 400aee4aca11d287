"""The entity-resolution views over hand-made resolved rows: unmatched addresses, match rates, account activity,
identity conflicts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from shared.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
DAY1 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
DAY2 = DAY1 + dt.timedelta(days=1)
DAY3 = DAY1 + dt.timedelta(days=2)


def participant(message_id: str, email: str, role: str = "to", at: dt.datetime = DAY1, mailbox: str = "rep@us.test",
                internal: bool | None = False, contact: str | None = None, lead: str | None = None,
                account: str | None = None, method: str | None = None, ambiguous: bool = False) -> dict[str, Any]:
    return {"mailbox": mailbox, "message_id": message_id, "email_address": email, "role": role,
            "domain": email.rsplit("@", 1)[1], "sent_at": at, "sf_contact_id": contact, "sf_lead_id": lead,
            "sf_account_id": account, "match_method": method, "is_ambiguous": ambiguous, "is_internal": internal,
            "resolved_at": None if internal is None else DAY3, "ingested_at": at}


def message(message_id: str, at: dt.datetime = DAY1, mailbox: str = "rep@us.test",
            rfc822: str | None = None) -> dict[str, Any]:
    return {"mailbox": mailbox, "message_id": message_id, "sent_at": at, "subject": f"re {message_id}",
            "rfc822_message_id": rfc822 or f"<{message_id}@mail>", "is_deleted": False, "ingested_at": at}


def call(call_id: str, at: dt.datetime, direction: str = "outbound", seconds: float = 60.0,
         internal: bool | None = False, contact: str | None = None, account: str | None = None,
         method: str | None = None, ambiguous: bool = False) -> dict[str, Any]:
    return {"call_id": call_id, "call_time": at, "direction": direction, "duration_seconds": seconds,
            "external_number": "+14155550100", "sf_contact_id": contact, "sf_account_id": account,
            "match_method": method, "is_ambiguous": ambiguous, "is_internal": internal, "ingested_at": at}


def account(account_id: str, name: str, domain: str | None, deleted: bool = False,
            last_activity: dt.date | None = None) -> dict[str, Any]:
    return {"account_id": account_id, "account_name": name, "domain": domain, "is_deleted": deleted,
            "last_activity_date": last_activity, "system_modstamp": DAY1, "_synced_at": DAY1}


def contact(contact_id: str, email: str | None, phone: str | None = None, account_id: str | None = "001A",
            deleted: bool = False) -> dict[str, Any]:
    return {"contact_id": contact_id, "account_id": account_id, "email_normalized": email, "phone_e164": phone,
            "is_deleted": deleted, "system_modstamp": DAY1, "_synced_at": DAY1}


def lead(lead_id: str, email: str | None, phone: str | None = None, converted: bool = False) -> dict[str, Any]:
    return {"lead_id": lead_id, "email_normalized": email, "phone_e164": phone, "is_converted": converted,
            "is_deleted": False, "system_modstamp": DAY1, "_synced_at": DAY1}


def test_unmatched_emails_lists_external_unmatched_addresses_with_the_likely_account_by_domain(
        warehouse: Warehouse) -> None:
    warehouse.append("sf_accounts", [
        account("001A", "Acme", "acme.com", last_activity=dt.date(2026, 5, 1)),
        account("001B", "Acme Old", "acme.com", last_activity=dt.date(2026, 1, 1)),
        account("001D", "Gone", "gone.com", deleted=True),
        account("001G", "Joe's Plumbing", "gmail.com"),
    ])
    warehouse.append("gmail_messages", [message("m1"), message("m2", DAY2)])
    warehouse.append("gmail_participants", [
        participant("m1", "rep@us.test", "from", internal=True),
        participant("m1", "new.person@acme.com"),
        participant("m2", "new.person@acme.com", "cc", DAY2),
        participant("m1", "someone@gone.com"),
        participant("m1", "joe@gmail.com"),
        participant("m1", "ann@acme.com", contact="003A", account="001A", method="contact_email"),
        participant("m1", "info@acme.com", account="001A", method="account_domain"),
        participant("m1", "colleague@us.test", internal=True),
        participant("m2", "pending@acme.com", at=DAY2, internal=None),
    ])
    rows = warehouse.query("select email_address, message_id, sent_at, subject, messages_with_address, "
                           "likely_account_id, likely_account_name, accounts_on_domain "
                           "from v_unmatched_emails order by email_address, message_id")
    assert rows == [
        {"email_address": "joe@gmail.com", "message_id": "m1", "sent_at": DAY1, "subject": "re m1",
         "messages_with_address": 1, "likely_account_id": None, "likely_account_name": None,
         "accounts_on_domain": 0},
        {"email_address": "new.person@acme.com", "message_id": "m1", "sent_at": DAY1, "subject": "re m1",
         "messages_with_address": 2, "likely_account_id": "001A", "likely_account_name": "Acme",
         "accounts_on_domain": 2},
        {"email_address": "new.person@acme.com", "message_id": "m2", "sent_at": DAY2, "subject": "re m2",
         "messages_with_address": 2, "likely_account_id": "001A", "likely_account_name": "Acme",
         "accounts_on_domain": 2},
        {"email_address": "someone@gone.com", "message_id": "m1", "sent_at": DAY1, "subject": "re m1",
         "messages_with_address": 1, "likely_account_id": None, "likely_account_name": None,
         "accounts_on_domain": 0},
    ]


def test_the_views_free_mail_list_is_the_resolvers_shipped_file() -> None:
    shipped = {line.strip() for line in (ROOT / "shared/data/free_mail_domains.txt").read_text().splitlines()
               if line.strip() and not line.lstrip().startswith("#")}
    view = (ROOT / "sql/views/v_unmatched_emails.sql").read_text()
    block = view.split("free_mail as (", 1)[1].split("unnest([", 1)[1].split("])", 1)[0]
    assert set(re.findall(r"'([^']+)'", block)) == shipped


def test_match_rates_per_source_day_and_method_leave_internal_rows_out_of_the_denominators(
        warehouse: Warehouse) -> None:
    warehouse.append("gmail_participants", [
        participant("m1", "rep@us.test", "from", internal=True),
        participant("m1", "ann@acme.com", contact="003A", account="001A", method="contact_email"),
        participant("m1", "bob@acme.com", contact="003B", account="001A", method="contact_email", ambiguous=True),
        participant("m1", "info@acme.com", account="001A", method="account_domain"),
        participant("m1", "x@nowhere.test"),
        participant("m2", "y@nowhere.test", at=DAY2),
        participant("m2", "later@nowhere.test", at=DAY2, internal=None),
    ])
    warehouse.append("dialpad_calls", [
        call("c1", DAY1, contact="003A", account="001A", method="contact_phone", ambiguous=True),
        call("c2", DAY1),
        call("c3", DAY1, internal=True),
    ])
    rows = warehouse.query("select source, activity_date, match_method, row_count, ambiguous_rows, external_rows, "
                           "share, matched_share, ambiguous_share from v_match_rates "
                           "order by source, activity_date, match_method")
    d1, d2 = DAY1.date(), DAY2.date()
    assert rows == [
        {"source": "call", "activity_date": d1, "match_method": "contact_phone", "row_count": 1,
         "ambiguous_rows": 1, "external_rows": 2, "share": 0.5, "matched_share": 0.5, "ambiguous_share": 1.0},
        {"source": "call", "activity_date": d1, "match_method": "unmatched", "row_count": 1,
         "ambiguous_rows": 0, "external_rows": 2, "share": 0.5, "matched_share": 0.5, "ambiguous_share": 0.0},
        {"source": "email", "activity_date": d1, "match_method": "account_domain", "row_count": 1,
         "ambiguous_rows": 0, "external_rows": 4, "share": 0.25, "matched_share": 0.75, "ambiguous_share": 0.0},
        {"source": "email", "activity_date": d1, "match_method": "contact_email", "row_count": 2,
         "ambiguous_rows": 1, "external_rows": 4, "share": 0.5, "matched_share": 0.75, "ambiguous_share": 0.5},
        {"source": "email", "activity_date": d1, "match_method": "unmatched", "row_count": 1,
         "ambiguous_rows": 0, "external_rows": 4, "share": 0.25, "matched_share": 0.75, "ambiguous_share": 0.0},
        {"source": "email", "activity_date": d2, "match_method": "unmatched", "row_count": 1,
         "ambiguous_rows": 0, "external_rows": 1, "share": 1.0, "matched_share": 0.0, "ambiguous_share": 0.0},
    ]


def test_account_activity_counts_mail_by_sender_direction_calls_and_last_touches_up_to_each_day(
        warehouse: Warehouse) -> None:
    warehouse.append("sf_accounts", [account("001A", "Acme", "acme.com"), account("001B", "Globex", "globex.com")])
    ann = {"contact": "003A", "account": "001A", "method": "contact_email"}
    warehouse.append("gmail_messages", [
        message("m1"), message("m1b", mailbox="rep2@us.test", rfc822="<m1@mail>"), message("m2"),
        message("m3", DAY2),
    ])
    warehouse.append("gmail_participants", [
        # day 1: rep → Ann and Globex's Gus (outbound), held in two mailboxes: counted once
        participant("m1", "rep@us.test", "from", internal=True),
        participant("m1", "ann@acme.com", **ann),
        participant("m1", "gus@globex.com", "cc", contact="003G", account="001B", method="contact_email"),
        participant("m1b", "rep@us.test", "from", mailbox="rep2@us.test", internal=True),
        participant("m1b", "ann@acme.com", mailbox="rep2@us.test", **ann),
        # day 1: Ann → rep (inbound), later that day
        participant("m2", "ann@acme.com", "from", DAY1 + dt.timedelta(hours=3), **ann),
        participant("m2", "rep@us.test", at=DAY1 + dt.timedelta(hours=3), internal=True),
        # day 2: an unknown sender writes to Ann and Bob (inbound for Acme)
        participant("m3", "stranger@nowhere.test", "from", DAY2),
        participant("m3", "ann@acme.com", at=DAY2, **ann),
        participant("m3", "bob@acme.com", "cc", DAY2, contact="003B", account="001A", method="contact_email"),
    ])
    warehouse.append("dialpad_calls", [
        call("c1", DAY3, "outbound", 90.0, contact="003C", account="001A", method="contact_phone"),
        call("c2", DAY3 + dt.timedelta(hours=1), "outbound", 30.0, contact="003A", account="001A",
             method="contact_phone"),
        call("c3", DAY3, "inbound", 600.0, internal=True),
    ])
    rows = warehouse.query("select account_id, account_name, activity_date, emails_in, emails_out, calls, "
                           "talk_minutes, contacts_engaged, last_inbound_at, last_outbound_at "
                           "from v_account_activity order by account_id, activity_date")
    acme = {"account_id": "001A", "account_name": "Acme"}
    assert rows == [
        {**acme, "activity_date": DAY1.date(), "emails_in": 1, "emails_out": 1, "calls": 0, "talk_minutes": 0.0,
         "contacts_engaged": 1, "last_inbound_at": DAY1 + dt.timedelta(hours=3), "last_outbound_at": DAY1},
        {**acme, "activity_date": DAY2.date(), "emails_in": 1, "emails_out": 0, "calls": 0, "talk_minutes": 0.0,
         "contacts_engaged": 2, "last_inbound_at": DAY2, "last_outbound_at": DAY1},
        {**acme, "activity_date": DAY3.date(), "emails_in": 0, "emails_out": 0, "calls": 2, "talk_minutes": 2.0,
         "contacts_engaged": 2, "last_inbound_at": DAY2, "last_outbound_at": DAY3 + dt.timedelta(hours=1)},
        {"account_id": "001B", "account_name": "Globex", "activity_date": DAY1.date(), "emails_in": 0,
         "emails_out": 1, "calls": 0, "talk_minutes": 0.0, "contacts_engaged": 1, "last_inbound_at": None,
         "last_outbound_at": DAY1},
    ]


def test_identity_conflicts_list_values_claimed_by_several_live_contacts_or_leads(warehouse: Warehouse) -> None:
    warehouse.append("sf_contacts", [
        contact("003A", "ann@acme.com", "+14155550100", "001A"),
        contact("003B", "team@acme.com", "+14155550100", "001A"),
        contact("003C", "team@acme.com", None, "001C"),
        contact("003D", "dup@acme.com", None, "001A", deleted=True),
        contact("003E", "dup@acme.com", None, "001A"),
    ])
    warehouse.append("sf_leads", [
        lead("00QA", "team@acme.com"),
        lead("00QB", "ann@acme.com", converted=True),
        lead("00QC", "solo@lead.test", "+14155550199"),
        lead("00QD", "other@lead.test", "+14155550199"),
    ])
    rows = warehouse.query("select value, kind, record_count, contact_count, lead_count, account_count, record_ids, "
                           "account_ids from v_identity_conflicts order by kind, value")
    assert rows == [
        {"value": "team@acme.com", "kind": "email", "record_count": 3, "contact_count": 2, "lead_count": 1,
         "account_count": 2, "record_ids": ["003B", "003C", "00QA"], "account_ids": ["001A", "001C"]},
        {"value": "+14155550100", "kind": "phone", "record_count": 2, "contact_count": 2, "lead_count": 0,
         "account_count": 1, "record_ids": ["003A", "003B"], "account_ids": ["001A"]},
        {"value": "+14155550199", "kind": "phone", "record_count": 2, "contact_count": 0, "lead_count": 2,
         "account_count": 0, "record_ids": ["00QC", "00QD"], "account_ids": None},
    ]


def test_the_demo_summaries_show_match_rates_by_method_and_the_top_unmatched_addresses(
        warehouse: Warehouse) -> None:
    warehouse.append("sf_accounts", [account("001A", "Acme", "acme.com")])
    warehouse.append("gmail_participants", [
        participant("m1", "rep@us.test", "from", internal=True),
        participant("m1", "ann@acme.com", contact="003A", account="001A", method="contact_email"),
        participant("m1", "new@acme.com"), participant("m2", "new@acme.com"), participant("m1", "x@nowhere.test"),
    ])
    warehouse.append("dialpad_calls", [call("c1", DAY1, contact="003A", account="001A", method="contact_phone")])
    assert warehouse.query("demo/entity_resolution_match_rates.sql") == [
        {"source": "call", "match_method": "contact_phone", "row_count": 1, "pct": 100.0, "ambiguous": 0},
        {"source": "email", "match_method": "unmatched", "row_count": 3, "pct": 75.0, "ambiguous": 0},
        {"source": "email", "match_method": "contact_email", "row_count": 1, "pct": 25.0, "ambiguous": 0},
    ]
    assert warehouse.query("demo/entity_resolution_top_unmatched.sql") == [
        {"email_address": "new@acme.com", "messages": 2, "likely_account": "Acme"},
        {"email_address": "x@nowhere.test", "messages": 1, "likely_account": None},
    ]
