"""account-scoring's optional narrative: google-genai `generate_content` over the shared session against the
sandbox's Gemini fake."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
import math
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import google.auth
import pytest
from google.oauth2.credentials import Credentials

from sandbox.apis.gemini import gemini_fake, generate_requests, reply_text
from sandbox.env import FAKE_TOKEN, settings_env
from sandbox.recording import RecordedRequest
from sandbox.server import Sandbox
from shared.budget import TimeBudget
from shared.http import make_session
from shared.log import StructuredHandler, bind_run
from tests.conftest import FakeClock

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "account_scoring"))

from score_narrative import (
    INSTRUCTION,
    MAX_FACTS_CHARS,
    NarrativeError,
    NarrativeOutcome,
    NarrativeSettings,
    facts,
    narrate,
    narrative_policy,
    validate,
)

GENERATE = "/v1/projects/sandbox-project/locations/us-central1/publishers/google/models/{}:generateContent"
NAMES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries"]


def row(index: int, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"account_id": f"001ACC{index:04d}", "account_name": name or NAMES[index % len(NAMES)],
            "priority_score": 90 - index * 7, "budget_likelihood": 70 - index, "engagement_score": 55 + index,
            "recommended_action": "call now" if index % 2 == 0 else "send pricing",
            "reasons": [f"Budget discussed in 'Renewal {index}' on 2026-04-2{index % 10}",
                        f"Call on 2026-04-1{index % 10} lasting {12 + index} minutes"],
            "features": {"emails_in_30d": 10 + index, "talk_minutes_90d": 45.25 + index, "open_opp_amount": 12500.0},
            **extra}


ROWS = [row(i) for i in range(6)]


@pytest.fixture
def gemini(running_sandbox: Sandbox) -> Iterator[Sandbox]:
    running_sandbox.log.clear()
    running_sandbox.faults.clear()
    gemini_fake(running_sandbox.app).reset()
    yield running_sandbox
    running_sandbox.faults.clear()
    gemini_fake(running_sandbox.app).reset()


def settings_for(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, **env: str) -> NarrativeSettings:
    for name, value in {**settings_env(sandbox), "GOOGLE_CLOUD_PROJECT": "sandbox-project",
                        "SCORING_NARRATIVE": "true", "HTTP_MAX_RETRIES": "2", **env}.items():
        monkeypatch.setenv(name, value)
    return NarrativeSettings()


def run(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock, rows: list[dict[str, Any]] = ROWS,
        budget: TimeBudget | None = None, **env: str) -> NarrativeOutcome:
    settings = settings_for(sandbox, monkeypatch, **env)
    session = make_session(narrative_policy(settings, sleep=clock.sleep))
    return narrate(rows, settings, session, budget=budget)


def expected_narrative(request_body: dict[str, Any]) -> str:
    reply = json.loads(reply_text(request_body))
    return f"{reply['summary']} Next step: {reply['next_step']}"


def prompt(request: RecordedRequest) -> str:
    [content] = request.json()["contents"]
    [part] = content["parts"]
    return str(part["text"])


def by_account(requests: list[RecordedRequest]) -> dict[str, list[RecordedRequest]]:
    grouped: dict[str, list[RecordedRequest]] = {}
    for request in requests:
        grouped.setdefault(next(r["account_id"] for r in ROWS if r["account_name"] in prompt(request)),
                           []).append(request)
    return grouped


def test_every_row_gets_one_generate_content_request_and_its_narrative(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    outcome = run(gemini, monkeypatch, clock)

    requests = generate_requests(gemini.log)
    assert len(requests) == len(ROWS) and all(r.status == 200 for r in requests)
    assert {r.path for r in requests} == {GENERATE.format("gemini-2.5-flash")}
    assert all(r.header("Authorization") == f"Bearer {FAKE_TOKEN}" for r in requests)
    assert {r.header("X-Server-Timeout") for r in requests} == {"20"}  # SCORING_NARRATIVE_TIMEOUT_S
    assert sorted(prompt(r) for r in requests) == sorted(facts(r) for r in ROWS)
    body = requests[0].json()
    assert body["systemInstruction"]["parts"] == [{"text": INSTRUCTION}]
    assert body["contents"][0]["role"] == "user"
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["type"] == "OBJECT" and config["responseSchema"]["required"] == [
        "summary", "next_step"]
    assert {k: v["type"] for k, v in config["responseSchema"]["properties"].items()} == {
        "summary": "STRING", "next_step": "STRING"}
    assert all(len(prompt(r)) <= MAX_FACTS_CHARS for r in requests) and len(INSTRUCTION) < 400
    grouped = by_account(requests)
    assert outcome.failures == {}
    assert outcome.narratives == {account: expected_narrative(sent[0].json()) for account, sent in grouped.items()}
    assert outcome.narratives["001ACC0001"].startswith(
        "Summary from the sandbox about Globex send pricing Budget discussed")
    assert all(len(text) <= 600 and " Next step: " in text for text in outcome.narratives.values())


def test_only_the_top_accounts_by_priority_get_a_narrative(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    outcome = run(gemini, monkeypatch, clock, rows=list(reversed(ROWS)), SCORING_NARRATIVE_ACCOUNTS="2",
                  SCORING_NARRATIVE_MODEL="gemini-2.5-pro")

    requests = generate_requests(gemini.log)
    assert sorted(by_account(requests)) == sorted(outcome.narratives) == ["001ACC0000", "001ACC0001"]
    assert {r.path for r in requests} == {GENERATE.format("gemini-2.5-pro")}
    assert "thinkingConfig" not in requests[0].json()["generationConfig"]
    assert outcome.failures == {}


def test_the_prompt_is_cut_to_its_bound_and_stays_valid_json(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    huge = row(0, features={f"feature_{i:04d}": i * 1.123456 for i in range(800)},
               reasons=["budget talk " * 200] * 9, account_name="Acme Corp")
    outcome = run(gemini, monkeypatch, clock, rows=[huge])

    [request] = generate_requests(gemini.log)
    sent = json.loads(prompt(request))
    assert len(prompt(request)) <= MAX_FACTS_CHARS
    assert sent["account_name"] == "Acme Corp" and sent["priority_score"] == 90
    assert len(sent["reasons"]) == 5 and all(len(reason) == 300 for reason in sent["reasons"])
    assert 0 < len(sent["features"]) < 800 and sent["features"]["feature_0001"] == 1.123
    assert list(sent["features"]) == sorted(sent["features"])[:len(sent["features"])]
    assert list(outcome.narratives) == ["001ACC0000"]


def test_facts_are_valid_json_for_warehouse_values_and_drop_reasons_that_cannot_fit() -> None:
    odd = row(0, priority_score=Decimal("87.50"), reasons=["\x01" * 1000] * 5,
              features={"amount": Decimal("12500.00"), "ratio": math.nan, "last_touch": dt.date(2026, 4, 30),
                        "stages": {"won": 1, "open": 2}, "is_open": True})
    sent = json.loads(facts(odd))

    assert len(facts(odd)) <= MAX_FACTS_CHARS
    assert sent["priority_score"] == 87.5 and 0 < len(sent["reasons"]) < 5
    assert sent["features"] == {"amount": 12500.0, "is_open": True, "last_touch": "2026-04-30", "ratio": None,
                                "stages": '{"won":1,"open":2}'}


def test_narrative_off_sends_nothing(gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    outcome = run(gemini, monkeypatch, clock, SCORING_NARRATIVE="false")

    assert outcome == NarrativeOutcome()
    assert generate_requests(gemini.log) == []
    assert NarrativeSettings.model_fields["scoring_narrative"].default is False


@pytest.mark.parametrize(("mode", "options", "reason", "attempts"), [
    ("quota", {}, "Vertex AI answered 429 RESOURCE_EXHAUSTED", 3),
    ("internal", {}, "Vertex AI answered 500 INTERNAL", 3),
    ("safety", {}, "generation stopped: finishReason SAFETY", 1),
    ("max_tokens", {}, "generation stopped: finishReason MAX_TOKENS", 1),
    ("prompt_blocked", {}, "prompt blocked: SAFETY", 1),
    ("not_json", {}, "reply is not valid JSON", 1),
    ("wrong_schema", {}, "reply does not match the schema: summary: Field required", 1),
])
def test_a_failing_account_is_a_failure_and_the_others_are_still_narrated(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock, mode: str, options: dict[str, Any],
        reason: str, attempts: int) -> None:
    gemini_fake(gemini.app).misbehave(mode, when="Globex", **options)
    before = copy.deepcopy(ROWS)
    outcome = run(gemini, monkeypatch, clock)

    assert before == ROWS
    assert outcome.failures == {"001ACC0001": reason}
    assert sorted(outcome.narratives) == sorted(r["account_id"] for r in ROWS if r["account_name"] != "Globex")
    assert len(by_account(generate_requests(gemini.log))["001ACC0001"]) == attempts  # 1 + HTTP_MAX_RETRIES


def test_a_slow_reply_times_out_and_only_that_account_fails(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    gemini_fake(gemini.app).misbehave("slow", when="Globex", delay=1.0)
    outcome = run(gemini, monkeypatch, clock, SCORING_NARRATIVE_TIMEOUT_S="0.3", HTTP_MAX_RETRIES="1")

    assert outcome.failures == {"001ACC0001": "Vertex AI did not answer within the timeout"}
    assert len(outcome.narratives) == len(ROWS) - 1
    time.sleep(1.0)  # let the fake's slow handlers finish before the next test clears the log
    assert len(by_account(generate_requests(gemini.log))["001ACC0001"]) == 2


def test_a_transient_429_is_retried_after_retry_after_and_the_account_narrated(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    gemini_fake(gemini.app).misbehave("quota", when="Globex", times=2, retry_after=3)
    outcome = run(gemini, monkeypatch, clock)

    assert outcome.failures == {} and len(outcome.narratives) == len(ROWS)
    assert [r.status for r in by_account(generate_requests(gemini.log))["001ACC0001"]] == [429, 429, 200]
    assert clock.sleeps == [3.0, 3.0]


def test_a_failure_is_logged_once_with_the_account_and_run_but_no_prompt_or_token(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    gemini_fake(gemini.app).misbehave("quota", when="Globex")
    stream = io.StringIO()
    handler = StructuredHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    monkeypatch.setattr(root, "level", logging.INFO)
    try:
        with bind_run(run_id="run-narrative-1", function="account-scoring"):
            run(gemini, monkeypatch, clock)
    finally:
        root.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failures = [line for line in lines if line["message"].startswith("no narrative for account")]
    assert [(f["account_id"], f["severity"], f["run_id"]) for f in failures] == [
        ("001ACC0001", "WARNING", "run-narrative-1")]
    retries = [line for line in lines if line["message"].startswith("retrying POST")]
    assert len(retries) == 2 and {line["run_id"] for line in retries} == {"run-narrative-1"}
    text = stream.getvalue()
    assert FAKE_TOKEN not in text and "Budget discussed" not in text and "Globex" not in text


def test_an_open_circuit_fails_the_remaining_accounts_without_sending_them(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    gemini_fake(gemini.app).misbehave("internal")
    outcome = run(gemini, monkeypatch, clock, HTTP_MAX_RETRIES="0", BREAKER_FAILURE_THRESHOLD="1")

    sent = generate_requests(gemini.log)
    assert outcome.narratives == {} and set(outcome.failures) == {r["account_id"] for r in ROWS}
    assert 1 <= len(sent) <= 4  # at most the 4 requests in flight when the first failure opens the circuit
    assert set(outcome.failures.values()) == {"Vertex AI answered 500 INTERNAL", "Vertex AI unreachable: ConnectError"}
    assert list(outcome.failures.values()).count("Vertex AI answered 500 INTERNAL") == len(sent)


def test_adc_asks_for_the_cloud_platform_scope_and_uses_its_project(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    asked: list[Any] = []

    def fake_default(scopes: list[str]) -> tuple[Credentials, str]:
        asked.append(scopes)
        return Credentials(token="adc-fake-token"), "adc-project"

    monkeypatch.setattr(google.auth, "default", fake_default)
    outcome = run(gemini, monkeypatch, clock, rows=ROWS[:1], VERTEX_AUTH="adc", GOOGLE_CLOUD_PROJECT="")

    [request] = generate_requests(gemini.log)
    assert asked == [["https://www.googleapis.com/auth/cloud-platform"]]
    assert request.path == GENERATE.format("gemini-2.5-flash").replace("sandbox-project", "adc-project")
    assert request.header("Authorization") == "Bearer adc-fake-token"
    assert list(outcome.narratives) == ["001ACC0000"]


def test_without_a_token_every_account_fails_and_nothing_is_sent(
        gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    settings = settings_for(gemini, monkeypatch).model_copy(update={"vertex_static_token": None})
    outcome = narrate(ROWS[:2], settings)

    assert outcome.narratives == {}
    assert outcome.failures == {r["account_id"]: "not configured: VERTEX_AUTH=static_token needs VERTEX_STATIC_TOKEN"
                                for r in ROWS[:2]}
    assert generate_requests(gemini.log) == []


def test_a_spent_budget_stops_requests(gemini: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    outcome = run(gemini, monkeypatch, clock, budget=TimeBudget(0, clock=clock))

    assert outcome.narratives == {} and set(outcome.failures) == {r["account_id"] for r in ROWS}
    assert set(outcome.failures.values()) == {"time budget spent before the request"}
    assert generate_requests(gemini.log) == []


FACTS = facts(row(0))


@pytest.mark.parametrize("reply", [
    {"summary": "Priority 90 with 12,500 in open pipeline.", "next_step": "Call about the 2026-04-20 renewal."},
    {"summary": "  Acme Corp talked budget.  ", "next_step": "Send pricing."},
])
def test_a_reply_citing_only_the_facts_numbers_is_accepted(reply: dict[str, str]) -> None:
    validated = validate(json.dumps(reply), FACTS)
    assert validated.text == f"{reply['summary'].strip()} Next step: {reply['next_step'].strip()}"


@pytest.mark.parametrize(("reply", "reason"), [
    ('{"summary": "Budget of 95,000 approved.", "next_step": "Call."}', "numbers absent from the facts: 95000"),
    ('{"summary": "", "next_step": "Call."}', "summary: String should have at least 1 character"),
    ('{"summary": "   ", "next_step": "Call."}', "summary: String should have at least 1 character"),
    (json.dumps({"summary": "a" * 401, "next_step": "Call."}), "summary: String should have at most 400"),
    (json.dumps({"summary": "Fine.", "next_step": "b" * 181}), "next_step: String should have at most 180"),
    ('{"summary": "Fine.", "next_step": "Call.", "score": 99}', "score: Extra inputs are not permitted"),
    ('["summary"]', "does not match the schema"),
    ('{"summary": "Fine."', "not valid JSON"),
])
def test_a_reply_outside_the_schema_or_citing_invented_numbers_is_refused(reply: str, reason: str) -> None:
    with pytest.raises(NarrativeError, match=reason):
        validate(reply, FACTS)
