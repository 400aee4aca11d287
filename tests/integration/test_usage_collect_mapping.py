"""usage-collect: API keys attributed to people through the mapping sheet, over time, with its mistakes reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.world import World
from tests.integration.usage_collect_harness import (
    ANCHOR,
    BACKFILL,
    Backfill,
    UsageHarness,
    backfilled_harness,
    backfilled_template,
    log_entries,
    new_world,
    usage_harness,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Backfill:
    return backfilled_template(tmp_path_factory.mktemp("usage_mapping"))


@pytest.fixture
def backfilled(template: Backfill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with backfilled_harness(template, tmp_path / "wh.duckdb", monkeypatch) as running:
        yield running


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    with usage_harness(new_world(), tmp_path / "wh.duckdb", monkeypatch) as running:
        yield running


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(5), dt.UTC)


def sheet_owners(world: World) -> dict[str, str]:
    """Key id → the owner its first valid sheet row names, for keys whose row agrees with the truth (a key
    that changed hands aside)."""
    ids = {key.name: key.id for key in world.api_keys if not key.handover_date}
    bad = set(world.truth.sheet_bad_rows)
    owners: dict[str, str] = {}
    for index, row in enumerate(world.key_mapping_sheet[1:], start=1):
        key_id = ids.get(row[0])
        email = row[1].strip().lower() if len(row) > 1 else ""
        if index not in bad and key_id and key_id not in owners and email == (world.truth.key_owner[key_id] or ""):
            owners[key_id] = email
    return owners


def attributed(harness: UsageHarness, key_id: str) -> dict[dt.date, str | None]:
    rows = harness.query("select usage_date, user_email from fct_usage_daily where platform = 'anthropic_api' "
                         "and api_key_id = @key", {"key": key_id})
    return {r["usage_date"]: r["user_email"] for r in rows}


def test_given_a_handover_dated_in_the_sheet_then_each_day_is_attributed_to_that_days_owner(
        backfilled: UsageHarness) -> None:
    world = backfilled.world
    [key] = [k for k in world.api_keys if k.handover_date]

    days = attributed(backfilled, key.id)

    assert days and {days[d] for d in days} == {key.previous_owner_email, key.owner_email}
    assert all(email == key.owner_on(day) for day, email in days.items())
    periods = backfilled.query("select valid_from, valid_to, user_email, mapping_source from dim_api_keys "
                               "where api_key_id = @key order by valid_from", {"key": key.id})
    assert [(p["valid_to"], p["user_email"], p["mapping_source"]) for p in periods] == [
        (key.handover_date - dt.timedelta(days=1), key.previous_owner_email, "sheet_valid_from"),
        (None, key.owner_email, "sheet_valid_from")]


def test_every_mapped_key_day_is_attributed_to_the_owner_the_sheet_names(backfilled: UsageHarness) -> None:
    owners = sheet_owners(backfilled.world)
    rows = backfilled.query("select api_key_id, user_email from fct_usage_daily where platform = 'anthropic_api' "
                            "and api_key_id is not null")

    checked = [r for r in rows if r["api_key_id"] in owners]
    assert len(checked) > len(rows) / 2
    assert all(r["user_email"] == owners[r["api_key_id"]] for r in checked)
    named = {row[0] for row in backfilled.world.key_mapping_sheet}
    unnamed = {k.id for k in backfilled.world.api_keys if k.name not in named}
    assert unnamed and all(r["user_email"] is None for r in rows if r["api_key_id"] in unnamed)


def test_bad_sheet_rows_are_reported_and_logged_but_not_fatal(backfilled: UsageHarness,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    world = backfilled.world
    expected = {(world.key_mapping_sheet[i][0], world.key_mapping_sheet[i][1], reason)
                for i, reason in world.truth.sheet_bad_rows.items()}

    backfilled.ok()

    issues = backfilled.query("select api_key_name, user_email, issue, row_number from v_mapping_issues "
                              "where row_number is not null")
    assert {(i["api_key_name"], i["user_email"], i["issue"]) for i in issues} == expected
    logged = {(e["api_key_name"], e["issue"]) for e in log_entries(capsys.readouterr().out)
              if e.get("scope") == "key_mapping" and e["severity"] == "WARNING" and e.get("sheet_row")}
    assert logged == {(name, issue) for name, _email, issue in expected}


def test_keys_with_cost_but_no_owner_are_listed_with_that_cost(backfilled: UsageHarness) -> None:
    unowned = backfilled.query("select api_key_id, cost_usd from v_mapping_issues "
                               "where issue = 'key with cost has no owner'")
    keys = {k.id: k for k in backfilled.world.api_keys}

    assert unowned and all(r["cost_usd"] > 0 for r in unowned)
    assert {keys[r["api_key_id"]].name for r in unowned} >= {"support-bot-prod", "nightly-summaries"}
    for row in unowned:
        cost = backfilled.query("select sum(cost_usd) as c from fct_cost_daily where api_key_id = @key "
                                "and user_email is null and cost_date > date '2026-04-03'", {"key": row["api_key_id"]})
        assert cost[0]["c"] == row["cost_usd"]


def test_an_owner_change_seen_between_snapshots_starts_a_new_period_from_that_day(harness: UsageHarness) -> None:
    world = harness.world
    owners = sheet_owners(world)
    used = {(r.api_key_id, r.day) for r in world.anthropic_usage}
    rows_named = [r[0] for r in world.key_mapping_sheet]
    key = next(k for k in world.api_keys if k.id in owners and rows_named.count(k.name) == 1
               and {(k.id, dt.date(2026, 4, d)) for d in (24, 28, 30)} <= used)
    newcomer = next(e.email for e in world.engineers if e.email != key.owner_email)
    [row] = [r for r in world.key_mapping_sheet if r[0] == key.name and r[1].strip().lower() == owners[key.id]]
    harness.ok(BACKFILL, at=at("2026-04-20"))

    with harness.sandbox.state.lock:
        row[1] = newcomer
    harness.ok(at=at("2026-04-28"))
    with harness.sandbox.state.lock:
        world.key_mapping_sheet.remove(row)
    harness.ok(at=at("2026-04-30"))

    periods = harness.query("select valid_from, valid_to, user_email, mapping_source from dim_api_keys "
                            "where api_key_id = @key order by valid_from", {"key": key.id})
    assert [(p["valid_from"], p["valid_to"], p["user_email"], p["mapping_source"]) for p in periods] == [
        (key.created_at.date(), dt.date(2026, 4, 27), owners[key.id], "sheet_snapshot"),
        (dt.date(2026, 4, 28), dt.date(2026, 4, 29), newcomer, "sheet_snapshot"),
        (dt.date(2026, 4, 30), None, None, "unmapped")]
    days = attributed(harness, key.id)
    assert (days[dt.date(2026, 4, 24)], days[dt.date(2026, 4, 28)], days[dt.date(2026, 4, 30)]) == (
        owners[key.id], newcomer, None)


def test_dim_users_carries_names_and_teams_from_the_people_tab(backfilled: UsageHarness) -> None:
    users = {u["user_email"]: u for u in backfilled.query("select * from dim_users")}
    for engineer in backfilled.world.engineers:
        assert (users[engineer.email]["user_name"], users[engineer.email]["team"]) == (engineer.name, engineer.team)
    assert ANCHOR.date() > max(u["updated_at"] for u in users.values()).date() - dt.timedelta(days=1)
