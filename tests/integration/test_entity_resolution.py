"""entity-resolution end to end: the syncs load a sandbox world, then the function runs through its HTTP entry point
on that warehouse; each test starts from a copy of the synced warehouse."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import build_world
from sandbox.world_context import SELLER_DOMAIN
from shared import entrypoint
from shared.warehouse import Warehouse, connect
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
ENTRY = by_cloud_name("entity-resolution")
KEYS = {"gmail_participants": ("mailbox", "message_id", "email_address", "role"), "dialpad_calls": ("call_id",)}
EMAIL_METHODS = {"manual", "contact_email", "lead_email", "normalized_email", "display_name_thread", "account_domain"}
CALL_METHODS = {"manual", "contact_phone", "lead_phone"}
Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    """The settings of a running sandbox and a warehouse file the three syncs loaded (never changed by a test)."""
    base = tmp_path_factory.mktemp("er") / "synced.duckdb"
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox, pytest.MonkeyPatch.context() as patch:
        env = {**settings_env(sandbox), "WAREHOUSE": f"duckdb:///{base}", "HTTP_BACKOFF_BASE": "0"}
        for name, value in env.items():
            patch.setenv(name, value)
        for name in ("salesforce-sync", "dialpad-sync", "gmail-sync"):
            status, answer = invoke(by_cloud_name(name))
            assert status == 200 and answer["status"] == "success", answer
        entrypoint.reset_runtimes()
        yield env, base


@pytest.fixture(name="wh")
def wh_fixture(synced: tuple[dict[str, str], Path], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    env, base = synced
    copy = tmp_path / "wh.duckdb"
    shutil.copy(base, copy)
    for name, value in {**env, "WAREHOUSE": f"duckdb:///{copy}"}.items():
        monkeypatch.setenv(name, value)
    warehouse = connect(f"duckdb:///{copy}")
    yield warehouse
    entrypoint.reset_runtimes()
    warehouse.close()


def resolve(**body: Any) -> dict[str, Any]:
    status, answer = invoke(ENTRY, body)
    assert status == 200 and answer["status"] == "success", answer
    return answer


def snapshot(wh: Warehouse) -> Snapshot:
    return {table: {tuple(row[k] for k in key): row for row in wh.query(f"select * from {table}")}
            for table, key in KEYS.items()}


def changed(before: Snapshot, after: Snapshot) -> dict[str, set[tuple[Any, ...]]]:
    assert {t: set(rows) for t, rows in before.items()} == {t: set(rows) for t, rows in after.items()}
    return {table: {key for key, row in rows.items() if after[table][key] != row} for table, rows in before.items()}


def keys_where(wh: Warehouse, table: str, where: str, params: dict[str, Any] | None = None) -> set[tuple[Any, ...]]:
    return {tuple(row[k] for k in KEYS[table])
            for row in wh.query(f"select * from {table} where {where}", params or {})}


def add_mapping(wh: Warehouse, mapping_id: str, **values: Any) -> None:
    wh.merge("manual_mappings", [{"mapping_id": mapping_id, "created_by": "ops@example.test",
                                  "created_at": ANCHOR, "note": "test", "is_active": True, **values}])


def without_times(snap: Snapshot) -> Snapshot:
    return {table: {key: {c: v for c, v in row.items() if c not in ("resolved_at", "matched_at")}
                    for key, row in rows.items()} for table, rows in snap.items()}


@pytest.mark.parametrize(("body", "field"), [
    ({"scope": "everything"}, "scope"), ({"full": "sometimes"}, "full"), ({"mode": "fast"}, "mode"),
    ({"scope": ["emails"]}, "scope"),
])
def test_given_a_bad_body_then_400_names_the_field_and_nothing_is_written(
        wh: Warehouse, body: dict[str, Any], field: str) -> None:
    before = snapshot(wh)

    status, answer = invoke(ENTRY, body)

    assert status == 400 and answer["field"] == field
    assert snapshot(wh) == before
    assert wh.query("select count(*) as n from etl_run_log where function_name = 'entity-resolution'")[0]["n"] == 0


def test_given_a_first_run_then_every_row_is_written_and_a_rerun_changes_nothing(wh: Warehouse) -> None:
    first = resolve()
    after_first = snapshot(wh)

    again = resolve()

    totals = {table: len(rows) for table, rows in after_first.items()}
    assert first["counts"] == totals and all(totals.values())
    assert again["counts"] == {"gmail_participants": 0, "dialpad_calls": 0}
    assert snapshot(wh) == after_first
    assert all(row["resolved_at"] is not None for rows in after_first.values() for row in rows.values())


def test_given_the_world_then_every_method_is_produced_and_confidences_follow_the_method(wh: Warehouse) -> None:
    unmatched = wh.query("select email_address from gmail_participants where domain <> @d "
                         "order by email_address limit 1", {"d": SELLER_DOMAIN})[0]["email_address"]
    call = wh.query("select call_id, external_number from dialpad_calls where external_number is not null "
                    "order by call_id limit 1")[0]
    contact = wh.query("select contact_id from sf_contacts where not is_deleted order by contact_id limit 1")[0]
    add_mapping(wh, "m-email", email_address=unmatched.upper(), sf_contact_id=contact["contact_id"])
    add_mapping(wh, "m-phone", phone_number=call["external_number"], sf_contact_id=contact["contact_id"])

    resolve()

    rows = wh.query("select match_method, match_confidence, is_ambiguous from gmail_participants "
                    "union all select match_method, match_confidence, is_ambiguous from dialpad_calls")
    emails = {r["match_method"] for r in wh.query("select match_method from gmail_participants")}
    calls = {r["match_method"] for r in wh.query("select match_method from dialpad_calls")}
    assert emails >= EMAIL_METHODS and calls >= CALL_METHODS
    expected = {"manual": 1.0, "contact_email": 0.99, "lead_email": 0.95, "normalized_email": 0.9,
                "contact_phone": 0.9, "lead_phone": 0.85, "display_name_thread": 0.7, "account_domain": 0.6, None: None}
    assert all(r["match_confidence"] == expected[r["match_method"]] for r in rows)
    assert any(r["is_ambiguous"] for r in rows)
    by_domain = wh.query("select * from gmail_participants where match_method = 'account_domain'")
    assert all(r["sf_contact_id"] is None and r["sf_lead_id"] is None and r["sf_account_id"] for r in by_domain)


def test_given_internal_people_then_they_are_flagged_and_never_matched(wh: Warehouse) -> None:
    resolve()

    users = {r["email_normalized"] for r in wh.query("select email_normalized from sf_users")}
    participants = wh.query("select * from gmail_participants")
    internal = [r for r in participants if r["is_internal"]]
    assert internal and all(r["sf_contact_id"] is None and r["sf_lead_id"] is None and r["sf_account_id"] is None
                            and r["match_method"] is None and not r["is_ambiguous"] for r in internal)
    assert {r["email_address"] for r in internal} == {
        r["email_address"] for r in participants if r["domain"] == SELLER_DOMAIN or r["email_address"] in users}
    assert all(r["is_internal"] is False for r in participants if r not in internal)


def test_given_a_manual_mapping_then_exactly_its_rows_change_and_deactivating_it_reverts_them(
        wh: Warehouse) -> None:
    resolve()
    target = wh.query("select email_address from gmail_participants where match_method = 'account_domain' "
                      "order by email_address limit 1")[0]["email_address"]
    contact = wh.query("select contact_id, account_id from sf_contacts where not is_deleted "
                       "and account_id is not null order by contact_id limit 1")[0]
    before = snapshot(wh)
    add_mapping(wh, "m-1", email_address=f"  {target.upper()} ", sf_contact_id=contact["contact_id"])

    answer = resolve()

    mapped = snapshot(wh)
    expected = keys_where(wh, "gmail_participants", "email_address = @a", {"a": target})
    assert changed(before, mapped) == {"gmail_participants": expected, "dialpad_calls": set()}
    assert answer["counts"] == {"gmail_participants": len(expected), "dialpad_calls": 0}
    assert all(mapped["gmail_participants"][k]["match_method"] == "manual"
               and mapped["gmail_participants"][k]["sf_contact_id"] == contact["contact_id"]
               and mapped["gmail_participants"][k]["sf_account_id"] == contact["account_id"] for k in expected)

    wh.query("update manual_mappings set is_active = false where mapping_id = 'm-1'")
    resolve()

    reverted = snapshot(wh)
    assert changed(mapped, reverted) == {"gmail_participants": expected, "dialpad_calls": set()}
    assert without_times(reverted) == without_times(before)


def test_given_a_contact_gains_an_address_then_exactly_the_rows_of_that_address_change(wh: Warehouse) -> None:
    resolve()
    target = wh.query(
        "select p.email_address from gmail_participants as p join er_email_keys as k using (email_address) "
        "where p.match_method = 'account_domain' and k.email_key = p.email_address "
        "and 1 = (select count(*) from er_email_keys as o where o.email_key = k.email_key) "
        "order by p.email_address limit 1")[0]["email_address"]
    contact = wh.query("select c.contact_id, c.account_id from sf_contacts as c where not c.is_deleted "
                       "and c.email_normalized is null and c.account_id is not null order by c.contact_id limit 1")
    contact = contact or wh.query("select contact_id, account_id from sf_contacts where not is_deleted "
                                  "and account_id is not null order by contact_id desc limit 1")
    chosen = contact[0]
    before = snapshot(wh)
    wh.query("update sf_contacts set email = @a, email_normalized = @a where contact_id = @c",
             {"a": target, "c": chosen["contact_id"]})

    resolve()

    after = snapshot(wh)
    expected = keys_where(wh, "gmail_participants", "email_address = @a", {"a": target})
    assert changed(before, after) == {"gmail_participants": expected, "dialpad_calls": set()}
    assert all(after["gmail_participants"][k]["match_method"] == "contact_email"
               and after["gmail_participants"][k]["sf_contact_id"] == chosen["contact_id"] for k in expected)


def test_given_a_deleted_contact_then_its_matches_drop_and_nothing_else_changes(wh: Warehouse) -> None:
    resolve()
    victim = wh.query("""
        select c.contact_id from sf_contacts as c
        where not c.is_deleted
          and exists (select 1 from gmail_participants as p where p.sf_contact_id = c.contact_id)
          and not exists (select 1 from sf_contacts as o where o.contact_id <> c.contact_id and not o.is_deleted
                          and (o.email_normalized = c.email_normalized or o.phone_e164 = c.phone_e164
                               or lower(o.contact_name) = lower(c.contact_name)))
          and not exists (select 1 from manual_mappings as m where m.sf_contact_id = c.contact_id)
        order by c.contact_id limit 1""")[0]["contact_id"]
    before = snapshot(wh)
    expected = {table: keys_where(wh, table, "sf_contact_id = @c", {"c": victim}) for table in KEYS}
    wh.query("update sf_contacts set is_deleted = true, deleted_at = @t where contact_id = @c",
             {"t": ANCHOR, "c": victim})

    answer = resolve()

    after = snapshot(wh)
    assert changed(before, after) == expected
    assert answer["counts"] == {table: len(keys) for table, keys in expected.items()}
    assert not keys_where(wh, "gmail_participants", "sf_contact_id = @c", {"c": victim})
    assert not keys_where(wh, "dialpad_calls", "sf_contact_id = @c", {"c": victim})


def test_given_full_then_every_row_is_rewritten_with_the_same_values(wh: Warehouse) -> None:
    resolve()
    before = snapshot(wh)

    answer = resolve(full=True)

    after = snapshot(wh)
    assert answer["counts"] == {table: len(rows) for table, rows in before.items()}
    assert changed(before, after) == {table: set(rows) for table, rows in before.items()}
    assert without_times(after) == without_times(before)


@pytest.mark.parametrize(("scope", "written", "untouched"), [
    ("emails", "gmail_participants", "dialpad_calls"), ("calls", "dialpad_calls", "gmail_participants")])
def test_given_a_scope_then_only_its_table_is_written(wh: Warehouse, scope: str, written: str,
                                                       untouched: str) -> None:
    before = snapshot(wh)

    answer = resolve(scope=scope)

    after = snapshot(wh)
    assert answer["counts"] == {written: len(before[written]), untouched: 0}
    assert after[untouched] == before[untouched]
    assert all(row["resolved_at"] is None for row in after[untouched].values())
    assert all(row["resolved_at"] is not None for row in after[written].values())
