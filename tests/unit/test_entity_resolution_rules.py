"""entity-resolution's rules on hand-made rows: each precedence level, the tie-breaks and the exclusions, through the
function's HTTP entry point on a small DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared import entrypoint
from shared.warehouse import Warehouse, connect
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ENTRY = by_cloud_name("entity-resolution")
COMPANY = "seller.example"


@pytest.fixture(name="wh")
def wh_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    path = tmp_path / "wh.duckdb"
    monkeypatch.setenv("WAREHOUSE", f"duckdb:///{path}")
    monkeypatch.setenv("COMPANY_DOMAINS", f"{COMPANY}, Other-Seller.example")
    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    yield warehouse
    entrypoint.reset_runtimes()
    warehouse.close()


def bookkeeping(**values: Any) -> dict[str, Any]:
    return {"system_modstamp": T0, "is_deleted": False, "_synced_at": T0, **values}


def account(wh: Warehouse, account_id: str, domain: str | None, **values: Any) -> None:
    wh.merge("sf_accounts", [bookkeeping(account_id=account_id, domain=domain, **values)])


def contact(wh: Warehouse, contact_id: str, account_id: str | None, email: str | None = None,
            name: str | None = None, **values: Any) -> None:
    wh.merge("sf_contacts", [bookkeeping(contact_id=contact_id, account_id=account_id, email=email,
                                         email_normalized=email, contact_name=name, **values)])


def lead(wh: Warehouse, lead_id: str, email: str | None = None, **values: Any) -> None:
    wh.merge("sf_leads", [bookkeeping(lead_id=lead_id, email=email, email_normalized=email, **values)])


def participant(wh: Warehouse, message_id: str, email: str, display_name: str | None = None,
                thread_id: str | None = None) -> None:
    wh.merge("gmail_messages", [{"mailbox": "rep@seller.example", "message_id": message_id, "thread_id": thread_id,
                                 "is_deleted": False, "ingested_at": T0}])
    wh.merge("gmail_participants", [{"mailbox": "rep@seller.example", "message_id": message_id,
                                     "email_address": email, "role": "to", "display_name": display_name,
                                     "domain": email.split("@")[1], "ingested_at": T0}])


def call(wh: Warehouse, call_id: str, number: str) -> None:
    wh.merge("dialpad_calls", [{"call_id": call_id, "external_number": number, "ingested_at": T0}])


def resolve(**body: Any) -> dict[str, Any]:
    status, answer = invoke(ENTRY, body)
    assert status == 200 and answer["status"] == "success", answer
    return answer


def match(wh: Warehouse, email: str) -> dict[str, Any]:
    rows = wh.query("select * from gmail_participants where email_address = @e", {"e": email})
    assert len(rows) == 1
    return rows[0]


def call_match(wh: Warehouse, call_id: str) -> dict[str, Any]:
    return wh.query("select * from dialpad_calls where call_id = @c", {"c": call_id})[0]


def picked(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["match_method"], row["sf_contact_id"], row["sf_lead_id"], row["sf_account_id"],
            row["match_confidence"], row["is_ambiguous"], row["is_internal"])


def test_each_precedence_level_wins_over_the_ones_below(wh: Warehouse) -> None:
    account(wh, "A1", "acme.com")
    account(wh, "A2", "converted.io")
    contact(wh, "C1", "A1", "ann@acme.com", "Ann Lee")
    lead(wh, "L1", "ann@acme.com")
    lead(wh, "L2", "bob@acme.com", is_converted=True, converted_account_id="A2")
    contact(wh, "C3", "A1", "carl.diaz@gmail.com", "Carl Diaz")
    lead(wh, "L3", "dee@leads.io")
    contact(wh, "C5", "A1", "pinned@acme.com", "Pinned Person")
    wh.merge("manual_mappings", [{"mapping_id": "M1", "email_address": " PINNED@acme.com", "sf_lead_id": "L3",
                                  "sf_account_id": "A2", "created_at": T0}])
    participant(wh, "m1", "ann@acme.com")
    participant(wh, "m2", "bob@acme.com")
    participant(wh, "m3", "carldiaz+news@googlemail.com")
    participant(wh, "m4", "dee+x@leads.io")
    participant(wh, "m5", "pinned@acme.com")
    participant(wh, "m6", "someone@acme.com")
    participant(wh, "m7", "stranger@gmail.com")
    participant(wh, "m8", "rep@seller.example")
    participant(wh, "m9", "boss@other-seller.example")

    resolve()

    assert picked(match(wh, "ann@acme.com")) == ("contact_email", "C1", None, "A1", 0.99, False, False)
    assert picked(match(wh, "bob@acme.com")) == ("lead_email", None, "L2", "A2", 0.95, False, False)
    assert picked(match(wh, "carldiaz+news@googlemail.com")) == (
        "normalized_email", "C3", None, "A1", 0.9, False, False)
    assert picked(match(wh, "dee+x@leads.io")) == ("normalized_email", None, "L3", None, 0.9, False, False)
    assert picked(match(wh, "pinned@acme.com")) == ("manual", None, "L3", "A2", 1.0, False, False)
    assert picked(match(wh, "someone@acme.com")) == ("account_domain", None, None, "A1", 0.6, False, False)
    assert picked(match(wh, "stranger@gmail.com")) == (None, None, None, None, None, False, False)
    assert picked(match(wh, "rep@seller.example")) == (None, None, None, None, None, False, True)
    assert picked(match(wh, "boss@other-seller.example")) == (None, None, None, None, None, False, True)


def test_display_name_in_a_thread_with_the_account_domain_matches_a_free_mail_address(wh: Warehouse) -> None:
    account(wh, "A1", "acme.com")
    contact(wh, "C1", "A1", "jose.nunez@acme.com", "José Núñez")
    participant(wh, "m1", "jn1984@gmail.com", " JOSE  Nuñez ", "t1")
    participant(wh, "m2", "colleague@acme.com", "A Colleague", "t1")
    participant(wh, "m3", "jn1985@gmail.com", "Jose Nunez", "t2")  # no acme.com address in this thread
    participant(wh, "m4", "jose@lookalike.co", "Jose Nunez", "t1")  # not free mail: no name rule

    resolve()

    assert picked(match(wh, "jn1984@gmail.com")) == ("display_name_thread", "C1", None, "A1", 0.7, False, False)
    assert picked(match(wh, "jn1985@gmail.com"))[0] is None
    assert picked(match(wh, "jose@lookalike.co"))[0] is None


def test_ties_are_ambiguous_and_go_to_the_most_recently_active_then_the_lowest_id(wh: Warehouse) -> None:
    account(wh, "A1", "acme.com")
    contact(wh, "C2", "A1", "desk@acme.com", last_activity_date=dt.date(2026, 2, 1))
    contact(wh, "C1", "A1", "desk@acme.com", last_activity_date=dt.date(2026, 1, 1))
    contact(wh, "C4", "A1", "front@acme.com", system_modstamp=T0 + dt.timedelta(days=1))
    contact(wh, "C3", "A1", "front@acme.com")
    contact(wh, "C6", "A1", "same@acme.com")
    contact(wh, "C5", "A1", "same@acme.com")
    contact(wh, "C7", "A1", phone_e164="+14155550100")
    contact(wh, "C8", "A1", phone_e164="+14155550100")
    participant(wh, "m1", "desk@acme.com")
    participant(wh, "m2", "front@acme.com")
    participant(wh, "m3", "same@acme.com")
    call(wh, "call-1", "+14155550100")

    resolve()

    assert picked(match(wh, "desk@acme.com"))[:2] == ("contact_email", "C2")
    assert picked(match(wh, "front@acme.com"))[:2] == ("contact_email", "C4")
    assert picked(match(wh, "same@acme.com"))[:2] == ("contact_email", "C5")
    assert all(match(wh, e)["is_ambiguous"] for e in ("desk@acme.com", "front@acme.com", "same@acme.com"))
    assert picked(call_match(wh, "call-1")) == ("contact_phone", "C7", None, "A1", 0.9, True, False)


def test_deleted_records_are_never_candidates_and_shared_domains_are_ambiguous(wh: Warehouse) -> None:
    account(wh, "A1", "acme.com")
    account(wh, "A2", "acme.com", last_activity_date=dt.date(2026, 2, 1))
    account(wh, "A3", "gone.com", is_deleted=True)
    contact(wh, "C1", "A1", "ann@acme.com", is_deleted=True)
    lead(wh, "L1", "ann@acme.com", is_deleted=True)
    participant(wh, "m1", "ann@acme.com")
    participant(wh, "m2", "x@gone.com")

    resolve()

    assert picked(match(wh, "ann@acme.com")) == ("account_domain", None, None, "A2", 0.6, True, False)
    assert picked(match(wh, "x@gone.com"))[0] is None


def test_calls_match_manual_then_contact_then_lead_phone_and_internal_numbers_never(wh: Warehouse) -> None:
    account(wh, "A1", "acme.com")
    contact(wh, "C1", "A1", phone_e164="+14155550101")
    lead(wh, "L1", phone_e164="+14155550101")
    lead(wh, "L2", phone_e164="+14155550102")
    wh.merge("sf_users", [bookkeeping(user_id="U1", email="rep@seller.example",
                                      email_normalized="rep@seller.example", phone_e164="+14155550199")])
    wh.merge("manual_mappings", [
        {"mapping_id": "M1", "phone_number": "+14155550103", "sf_contact_id": "C1", "created_at": T0},
        {"mapping_id": "M2", "phone_number": "+14155550102", "sf_contact_id": "C1", "created_at": T0,
         "is_active": False}])
    for call_id, number in (("k1", "+14155550101"), ("k2", "+14155550102"), ("k3", "+14155550103"),
                            ("k4", "+14155550199"), ("k5", "+14155550000")):
        call(wh, call_id, number)

    resolve()

    assert picked(call_match(wh, "k1")) == ("contact_phone", "C1", None, "A1", 0.9, False, False)
    assert picked(call_match(wh, "k2")) == ("lead_phone", None, "L2", None, 0.85, False, False)
    assert picked(call_match(wh, "k3")) == ("manual", "C1", None, "A1", 1.0, False, False)
    assert picked(call_match(wh, "k4")) == (None, None, None, None, None, False, True)
    assert picked(call_match(wh, "k5")) == (None, None, None, None, None, False, False)


def test_an_invalid_company_domain_setting_is_a_configuration_error(wh: Warehouse,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANY_DOMAINS", "seller.example, not a domain")

    status, answer = invoke(ENTRY, {})

    assert status == 500 and "COMPANY_DOMAINS" in answer["error"]


def test_a_spent_budget_runs_the_first_statement_and_leaves_the_rest_pending(
        wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    account(wh, "A1", "acme.com")
    participant(wh, "m1", "someone@acme.com")
    call(wh, "k1", "+14155550101")
    monkeypatch.setenv("TIME_BUDGET_SECONDS", "0")

    answer = resolve()

    assert answer["pending"] == ["emails", "calls"]
    assert answer["counts"] == {"gmail_participants": 0, "dialpad_calls": 0}
    assert [r["email_address"] for r in wh.query("select email_address from er_email_keys")] == ["someone@acme.com"]
    assert match(wh, "someone@acme.com")["resolved_at"] is None and call_match(wh, "k1")["resolved_at"] is None
    monkeypatch.delenv("TIME_BUDGET_SECONDS")
    entrypoint.reset_runtimes()

    assert resolve()["counts"] == {"gmail_participants": 1, "dialpad_calls": 1}
