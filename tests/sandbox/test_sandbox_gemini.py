"""The Vertex AI Gemini `generateContent` fake, spoken to over the wire."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sandbox import Sandbox
from sandbox.apis.gemini import gemini_fake, generate_requests, quota_fault, reply_text, token_count
from sandbox.world import build_world

ANCHOR = datetime(2026, 5, 4, tzinfo=UTC)
AUTH = {"Authorization": "Bearer sandbox-fake-token"}
MODELS = "/v1/projects/sandbox-project/locations/us-central1/publishers/google/models"
GENERATE = f"{MODELS}/gemini-2.5-flash:generateContent"
FACTS = '{"account_name":"Acme Corp","reasons":["Budget discussed in Q3 renewal on 2026-04-30"],"score":87}'
SCHEMA = {"type": "OBJECT", "properties": {"summary": {"type": "STRING"}, "next_step": {"type": "STRING"}},
          "required": ["summary", "next_step"]}
SYSTEM = "Use only these facts."


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: Sandbox) -> Iterator[Sandbox]:
    running.log.clear()
    running.faults.clear()
    gemini_fake(running.app).reset()
    yield running
    running.faults.clear()
    gemini_fake(running.app).reset()


def body(text: str = FACTS, **config: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}],
            "systemInstruction": {"parts": [{"text": SYSTEM}]},
            "generationConfig": {"responseMimeType": "application/json", "responseSchema": SCHEMA, **config}}


def post(sandbox: Sandbox, payload: Any, path: str = GENERATE, headers: dict[str, str] | None = None
         ) -> requests.Response:
    return sandbox.session().post(sandbox.http_url + path, json=payload, headers=AUTH if headers is None else headers,
                                  timeout=30)


def assert_google_error(answer: requests.Response, code: int, status: str, words: str = "") -> None:
    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error["status"]) == (code, code, status)
    assert words in error["message"]


def reply_of(answer: requests.Response) -> tuple[str, str]:
    [candidate] = answer.json()["candidates"]
    return candidate["content"]["parts"][0]["text"], candidate["finishReason"]


def test_a_json_reply_matching_the_schema_built_from_the_prompts_words_with_usage(sandbox: Sandbox) -> None:
    answer = post(sandbox, body())

    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    reply = answer.json()
    assert list(reply) == ["candidates", "usageMetadata", "modelVersion", "responseId"]
    [candidate] = reply["candidates"]
    assert (candidate["content"]["role"], candidate["finishReason"], candidate["index"]) == ("model", "STOP", 0)
    text = candidate["content"]["parts"][0]["text"]
    assert json.loads(text) == {
        "summary": "Summary from the sandbox about Acme Corp Budget discussed in Q renewal on.",
        "next_step": "Next step from the sandbox about Acme Corp Budget discussed in Q renewal on."}
    assert text == reply_text(body())
    prompt_tokens = token_count(FACTS) + token_count(SYSTEM)
    assert reply["usageMetadata"] == {"promptTokenCount": prompt_tokens, "candidatesTokenCount": token_count(text),
                                      "totalTokenCount": prompt_tokens + token_count(text)}
    assert reply["modelVersion"] == "gemini-2.5-flash"


def test_replies_are_the_same_for_the_same_prompt_and_differ_for_another(sandbox: Sandbox) -> None:
    first, again = post(sandbox, body()).json(), post(sandbox, body()).json()
    other = post(sandbox, body('{"account_name":"Globex","reasons":["Pricing asked"]}')).json()

    assert first == again
    assert json.loads(other["candidates"][0]["content"]["parts"][0]["text"])["summary"] == (
        "Summary from the sandbox about Globex Pricing asked.")


def test_without_a_json_mime_type_the_reply_is_plain_text(sandbox: Sandbox) -> None:
    answer = post(sandbox, {"contents": [{"role": "user", "parts": [{"text": "Tell me about Acme renewal 42"}]}]})
    assert reply_of(answer) == ("Sandbox reply about Tell me about Acme renewal.", "STOP")


def test_a_reply_over_max_output_tokens_is_cut_with_finish_reason_max_tokens(sandbox: Sandbox) -> None:
    text, finish = reply_of(post(sandbox, body(maxOutputTokens=5)))

    assert finish == "MAX_TOKENS" and token_count(text) <= 5
    assert reply_text(body()).startswith(text)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


@pytest.mark.parametrize(("payload", "words"), [
    ({}, "contents must be a non-empty list"),
    ({"contents": []}, "contents must be a non-empty list"),
    ({"contents": [{"parts": [{"text": "hi"}]}]}, "role must be user or model"),
    ({"contents": [{"role": "system", "parts": [{"text": "hi"}]}]}, "role must be user or model"),
    ({"contents": [{"role": "user", "parts": []}]}, "parts must be a non-empty list"),
    ({"contents": [{"role": "user", "parts": [{"inlineData": {}}]}]}, "only text parts"),
    ({"contents": [{"role": "model", "parts": [{"text": "hi"}]}]}, "last content must have the role user"),
    ({"instances": [{"content": "hi"}]}, 'Unknown name "instances"'),
    ({**body(), "generationConfig": {"responseSchema": SCHEMA}}, "requires responseMimeType application/json"),
    ({**body(), "generationConfig": {"responseMimeType": "text/html"}}, "responseMimeType"),
    (body(maxOutputTokens=0), "maxOutputTokens"),
    (body(responseFormat="json"), 'Unknown name "responseFormat"'),
    ({**body(), "systemInstruction": {"parts": "be brief"}}, "systemInstruction: parts"),
])
def test_bad_requests_are_invalid_argument(sandbox: Sandbox, payload: dict[str, Any], words: str) -> None:
    assert_google_error(post(sandbox, payload), 400, "INVALID_ARGUMENT", words)


@pytest.mark.parametrize("model", ["gemini-9-ultra", "text-embedding-005"])
def test_an_unknown_model_is_not_found(sandbox: Sandbox, model: str) -> None:
    answer = post(sandbox, body(), f"{MODELS}/{model}:generateContent")
    assert_google_error(answer, 404, "NOT_FOUND", f"publishers/google/models/{model}` not found")


def test_the_embeddings_predict_route_still_answers_beside_generate_content(sandbox: Sandbox) -> None:
    embedded = post(sandbox, {"instances": [{"content": "hi"}]}, f"{MODELS}/text-embedding-005:predict")
    gemini_predict = post(sandbox, {"instances": [{"content": "hi"}]}, f"{MODELS}/gemini-2.5-flash:predict")

    assert embedded.status_code == 200 and len(embedded.json()["predictions"]) == 1
    assert_google_error(gemini_predict, 404, "NOT_FOUND")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwdw=="}])
def test_a_request_without_a_bearer_token_is_unauthenticated(sandbox: Sandbox, headers: dict[str, str]) -> None:
    assert_google_error(post(sandbox, body(), headers=headers), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(("retry_after", "header"), [(None, None), (3, "3")])
def test_quota_misbehaviour_is_429_resource_exhausted_with_or_without_retry_after(
        sandbox: Sandbox, retry_after: float | None, header: str | None) -> None:
    gemini_fake(sandbox.app).misbehave("quota", times=1, retry_after=retry_after)
    refused, accepted = post(sandbox, body()), post(sandbox, body())

    assert_google_error(refused, 429, "RESOURCE_EXHAUSTED", "Quota exceeded")
    assert refused.headers.get("Retry-After") == header
    assert accepted.status_code == 200


def test_internal_misbehaviour_is_500_internal(sandbox: Sandbox) -> None:
    gemini_fake(sandbox.app).misbehave("internal")
    assert_google_error(post(sandbox, body()), 500, "INTERNAL")


def test_a_safety_block_is_a_candidate_without_content(sandbox: Sandbox) -> None:
    gemini_fake(sandbox.app).misbehave("safety")
    reply = post(sandbox, body()).json()

    [candidate] = reply["candidates"]
    assert "content" not in candidate and candidate["finishReason"] == "SAFETY"
    assert any(rating["blocked"] for rating in candidate["safetyRatings"] if "blocked" in rating)
    assert reply["usageMetadata"]["candidatesTokenCount"] == 0


def test_a_blocked_prompt_has_no_candidates_and_a_block_reason(sandbox: Sandbox) -> None:
    gemini_fake(sandbox.app).misbehave("prompt_blocked")
    reply = post(sandbox, body()).json()

    assert "candidates" not in reply and reply["promptFeedback"]["blockReason"] == "SAFETY"


@pytest.mark.parametrize(("mode", "finish"), [("not_json", "STOP"), ("wrong_schema", "STOP"),
                                               ("max_tokens", "MAX_TOKENS")])
def test_spoiled_replies_keep_the_response_shape(sandbox: Sandbox, mode: str, finish: str) -> None:
    gemini_fake(sandbox.app).misbehave(mode)
    text, finish_reason = reply_of(post(sandbox, body()))

    assert finish_reason == finish
    if mode == "wrong_schema":
        assert set(json.loads(text)) == {"headline"}
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)


def test_a_slow_reply_arrives_after_the_delay(sandbox: Sandbox) -> None:
    gemini_fake(sandbox.app).misbehave("slow", delay=0.4, times=1)
    started = time.monotonic()
    answer = post(sandbox, body())

    assert time.monotonic() - started >= 0.4
    assert answer.status_code == 200 and reply_of(answer)[1] == "STOP"


def test_misbehaviour_targets_the_prompts_that_contain_its_marker_and_is_used_up(sandbox: Sandbox) -> None:
    fake = gemini_fake(sandbox.app)
    rule = fake.misbehave("internal", when="Globex", times=1)
    globex = body('{"account_name":"Globex"}')
    statuses = [post(sandbox, payload).status_code for payload in (body(), globex, globex)]

    assert statuses == [200, 500, 200] and rule.hits == 1
    with pytest.raises(ValueError, match="unknown mode"):
        fake.misbehave("explode")


def test_an_injected_quota_fault_answers_through_the_fault_mechanism(sandbox: Sandbox) -> None:
    quota_fault(sandbox.faults, times=1, retry_after=2)
    refused, accepted = post(sandbox, body()), post(sandbox, body())

    assert_google_error(refused, 429, "RESOURCE_EXHAUSTED", "gemini-2.5-flash")
    assert refused.headers["Retry-After"] == "2" and accepted.status_code == 200
    assert [(r.status, r.fault) for r in generate_requests(sandbox.log)] == [(429, True), (200, False)]


def test_every_call_is_recorded_and_the_health_check_lists_the_fake(sandbox: Sandbox) -> None:
    post(sandbox, body())
    post(sandbox, body(), f"{MODELS}/gemini-2.5-pro:generateContent")
    post(sandbox, {"instances": [{"content": "hi"}]}, f"{MODELS}/text-embedding-005:predict")
    health = sandbox.session().get(sandbox.http_url + "/_sandbox/health", timeout=10).json()

    calls = generate_requests(sandbox.log)
    assert [c.path.rsplit("/", 1)[-1] for c in calls] == ["gemini-2.5-flash:generateContent",
                                                          "gemini-2.5-pro:generateContent"]
    assert calls[0].json() == body() and calls[0].header("Authorization") == AUTH["Authorization"]
    assert "gemini" in health["sources"]
