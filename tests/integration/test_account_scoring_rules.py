"""account-scoring on crafted histories: every rule of recommended_action, the reasons' evidence, no look-ahead,
reruns that replace, determinism and refused requests — through the function's HTTP entry point."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.gemini import gemini_fake, generate_requests
from sandbox.env import settings_env
from sandbox.server import Sandbox
from shared import entrypoint
from shared.warehouse import Warehouse, connect
from tests.integration.scoring_history import REP_ID, SCORE_DATE, History, at
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ENTRY = by_cloud_name("account-scoring")
BODY = {"score_date": SCORE_DATE.isoformat()}
ROW = ("priority_score", "budget_likelihood", "engagement_score", "recommended_action", "reasons", "features",
       "last_interaction_date", "model_version", "account_name", "owner_id")


def craft(history: History) -> None:
    """One account per rule (and a few that must not fire it), all scored on SCORE_DATE."""
    h = history
    h.account("A01", "Call Now Inc")
    h.email("A01", 8, "Kick-off", "Great to meet you.", inbound=False)
    h.email("A01", 4, "Budget approved for the analytics rollout", "Good news: the budget is approved.", True)
    h.account("A02", "Replied Already Ltd")
    h.email("A02", 4, "Budget approved for next year", "Our budget is approved.", inbound=True)
    h.email("A02", 1, "Re: next steps", "Thanks, let us meet on Friday.", inbound=False)
    h.account("A03", "Pricing Asked GmbH")
    h.email("A03", 10, "Question about seats", "Could you send us pricing for 40 seats?", inbound=True)
    h.account("A04", "Pricing Sent SA")
    h.email("A04", 10, "Question about seats", "Could you send us pricing for 40 seats?", inbound=True)
    h.email("A04", 5, "Re: Question about seats", "Here is our pricing for 40 seats, as discussed.", False)
    h.account("A05", "Quiet Deal plc")
    h.opportunity("A05", 120000, "Proposal/Price Quote", 75, 40)
    h.email("A05", 30, "Checking in", "How is the evaluation going?", inbound=False)
    h.account("A06", "Nurture Co")
    h.email("A06", 40, "Our product news", "A few things we shipped this month.", inbound=False)
    h.account("A07", "Nothing Yet Corp")
    h.account("A08", "Not Interested AG")
    h.email("A08", 5, "Budget for the platform", "We have budget set aside for this.", inbound=True)
    h.email("A08", 3, "Re: proposal", "Thanks, but we are not interested at this time.", inbound=True)
    h.account("A09", "Away Ltd")
    h.email("A09", 2, "Automatic reply: Proposal", "I am out of the office until Monday.", inbound=True)
    h.account("A10", "Budget Call LLC", title="Chief Financial Officer")
    h.call("A10", 5, 25, "Rep: hello.\nCustomer: our budget for this is approved for the quarter.", inbound=True)
    h.meeting("A10", -3, "Pricing review", booked_days_before=6)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("scoring")) / "crafted.duckdb"
    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    craft(History(warehouse))
    warehouse.close()
    return f"duckdb:///{path}"


@pytest.fixture(name="wh")
def wh_fixture(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    copy = tmp_path / "wh.duckdb"
    copy.write_bytes(Path(url.removeprefix("duckdb:///")).read_bytes())
    monkeypatch.setenv("WAREHOUSE", f"duckdb:///{copy}")
    warehouse = connect(f"duckdb:///{copy}")
    yield warehouse
    entrypoint.reset_runtimes()
    warehouse.close()


def score(body: dict[str, Any] | None = None) -> dict[str, Any]:
    code, answer = invoke(ENTRY, BODY if body is None else body)
    assert code == 200 and answer["status"] == "success", answer
    return answer


def rows(wh: Warehouse, day: dt.date = SCORE_DATE) -> dict[str, dict[str, Any]]:
    found = wh.query(f"select account_id, {', '.join(ROW)} from account_recommendations where score_date = @d",
                     {"d": day})
    return {r.pop("account_id"): r for r in found}


@pytest.fixture(name="scored")
def scored_fixture(wh: Warehouse) -> dict[str, dict[str, Any]]:
    answer = score()
    assert answer["counts"]["account_recommendations"] == 10
    return rows(wh)


@pytest.mark.parametrize(("account", "action"), [
    ("A01", "call now"), ("A10", "call now"), ("A02", "nurture"), ("A03", "send pricing"), ("A04", "nurture"),
    ("A05", "re-engage"), ("A06", "nurture"), ("A07", "no action"), ("A08", "no action"), ("A09", "no action"),
])
def test_each_rule_of_recommended_action(scored: dict[str, dict[str, Any]], account: str, action: str) -> None:
    assert scored[account]["recommended_action"] == action, scored[account]


def test_reasons_cite_their_evidence(scored: dict[str, dict[str, Any]]) -> None:
    assert 'Budget talk: "Budget approved for the analytics rollout" (2026-04-30)' in scored["A01"]["reasons"]
    assert 'Budget talk: call on 2026-04-29 (25 min)' in scored["A10"]["reasons"]
    assert ('Asked about pricing: "Question about seats" (2026-04-24); no pricing sent since'
            in scored["A03"]["reasons"])
    assert 'Asked about pricing: "Question about seats" (2026-04-24)' in scored["A04"]["reasons"]
    assert scored["A08"]["reasons"][0] == 'Said they are not interested: "Re: proposal" (2026-05-01)'
    assert "No email, call or meeting for 30 days" in scored["A05"]["reasons"]
    assert any(r.startswith('Open opportunity "A05 - Platform" for 120000 at Proposal/Price Quote (75%)')
               for r in scored["A05"]["reasons"])
    assert scored["A07"]["reasons"] == ["No email, call or meeting on record", "No open opportunity",
                                        "No budget or pricing talk in the last 90 days"]
    assert "Most senior contact engaged: Chief Financial Officer (1 person in 90 days)" in scored["A10"]["reasons"]
    assert all(3 <= len(r["reasons"]) <= 5 for r in scored.values()), {a: r["reasons"] for a, r in scored.items()}


def test_scores_are_in_range_and_explained_by_their_features(scored: dict[str, dict[str, Any]]) -> None:
    for row in scored.values():
        assert all(0 <= row[name] <= 100 for name in ("priority_score", "budget_likelihood", "engagement_score"))
        assert row["model_version"].startswith("rules-v1-") and row["owner_id"] == REP_ID
    features = {a: json.loads(r["features"]) for a, r in scored.items()}
    assert features["A09"]["emails_in_30"] == 0 and features["A09"]["days_since_touch"] is None  # auto-reply
    assert features["A01"]["budget_discussed"] and features["A01"]["days_since_outbound"] == 8
    assert features["A10"]["meetings_upcoming"] == 1 and features["A10"]["talk_minutes_30"] == 25
    assert scored["A01"]["budget_likelihood"] > scored["A06"]["budget_likelihood"]
    assert scored["A01"]["priority_score"] > scored["A07"]["priority_score"]
    assert scored["A08"]["priority_score"] < scored["A01"]["priority_score"]
    assert scored["A01"]["last_interaction_date"] == dt.date(2026, 4, 30)


def test_activity_after_the_score_date_changes_nothing(wh: Warehouse) -> None:
    score()
    before = rows(wh)
    history = History(wh, prefix="late")
    history.email("A07", -1, "Budget approved", "We have budget approved and want pricing.", inbound=True)
    history.call("A06", -2, 40, "Customer: the budget is approved.", inbound=True)
    history.meeting("A05", -5, "Contract walkthrough", booked_days_before=-1)
    score()
    assert rows(wh) == before


def test_rerunning_a_day_replaces_it_byte_for_byte(wh: Warehouse) -> None:
    first = score()
    before = rows(wh)
    second = score()
    assert rows(wh) == before
    count = wh.query("select count(*) as n, count(distinct account_id) as d from account_recommendations")[0]
    assert (count["n"], count["d"]) == (10, 10)
    runs = {r["_run_id"] for r in wh.query("select distinct _run_id from account_recommendations")}
    assert runs == {second["run_id"]} != {first["run_id"]}


def test_only_the_listed_accounts_or_the_most_recently_active_are_scored(wh: Warehouse) -> None:
    def scored_by(answer: dict[str, Any]) -> set[str]:
        return {r["account_id"] for r in wh.query(
            "select account_id from account_recommendations where _run_id = @r", {"r": answer["run_id"]})}

    listed = score({**BODY, "account_ids": ["A01", "A07"]})
    assert listed["counts"]["account_recommendations"] == 2 and scored_by(listed) == {"A01", "A07"}
    limited = score({**BODY, "limit": 3})
    assert limited["counts"]["account_recommendations"] == 3
    assert scored_by(limited) == {"A02", "A08", "A01"}  # last touched 1, 3 and 4 days before


@pytest.mark.parametrize(("body", "field"), [
    ({"score_date": "2026-13-01"}, "score_date"), ({"score_date": "2999-01-01"}, "score_date"),
    ({"account_ids": []}, "account_ids"), ({"account_ids": ["A01"] * 1001}, "account_ids"),
    ({"account_ids": [" A01"]}, "account_ids"), ({"limit": 0}, "limit"), ({"limit": "ten"}, "limit"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_body_is_refused_naming_the_field_and_nothing_is_written(
        wh: Warehouse, body: dict[str, Any], field: str) -> None:
    code, answer = invoke(ENTRY, body)
    assert (code, answer["field"]) == (400, field), answer
    assert wh.query("select count(*) as n from etl_runs where function_name = 'account-scoring'")[0]["n"] == 0
    assert wh.query("select count(*) as n from account_recommendations")[0]["n"] == 0


def test_a_past_date_is_scored_from_what_was_known_then(wh: Warehouse) -> None:
    score({"score_date": "2026-04-28"})
    earlier = rows(wh, dt.date(2026, 4, 28))
    assert earlier["A01"]["recommended_action"] == "nurture"  # the budget mail came on 2026-04-30
    assert json.loads(earlier["A01"]["features"])["emails_in_30"] == 0
    assert at(0).date() == SCORE_DATE


def test_a_failed_narrative_leaves_the_scores_and_reasons_as_they_were(
        wh: Warehouse, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    score()
    plain = rows(wh)
    for name, value in {**settings_env(sandbox), "GOOGLE_CLOUD_PROJECT": "sandbox-project",
                        "SCORING_NARRATIVE": "true", "SCORING_NARRATIVE_ACCOUNTS": "4", "HTTP_MAX_RETRIES": "0",
                        "HTTP_BACKOFF_BASE": "0"}.items():
        monkeypatch.setenv(name, value)
    entrypoint.reset_runtimes()
    top = sorted(plain, key=lambda a: (-plain[a]["priority_score"], a))[:4]
    gemini_fake(sandbox.app).misbehave("internal", when=plain[top[1]]["account_name"])
    try:
        answer = score()
    finally:
        gemini_fake(sandbox.app).reset()
    assert (answer["counts"]["narratives"], answer["counts"]["narrative_failures"]) == (3, 1)
    assert rows(wh) == plain
    narratives = {r["account_id"]: r for r in wh.query(
        "select account_id, narrative, narrative_model from account_recommendations where narrative is not null")}
    assert set(narratives) == set(top) - {top[1]}
    assert all(r["narrative_model"] == "gemini-2.5-flash" and "Next step: " in r["narrative"]
               for r in narratives.values())
    assert len(generate_requests(sandbox.log)) == 4
