"""The Vertex AI text-embeddings `:predict` fake, spoken to over the wire as the vertex embedder speaks to it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sandbox import Sandbox
from sandbox.apis.vertex import (
    MAX_INPUT_TOKENS,
    predict_requests,
    quota_fault,
    token_count,
    vertex_fake,
)
from sandbox.env import settings_env
from sandbox.world import build_world

ANCHOR = datetime(2026, 5, 4, tzinfo=UTC)
AUTH = {"Authorization": "Bearer sandbox-fake-token"}
MODELS = "/v1/projects/sandbox-project/locations/us-central1/publishers/google/models"
PREDICT = f"{MODELS}/text-embedding-005:predict"
BUDGET_DOC = "Our budget for next quarter is approved, but the pricing needs a discount before procurement signs."
BUDGET_QUERY = "budget approval and pricing discount"
SCHEDULING_DOC = "Can we schedule the demo meeting for Tuesday afternoon? Thursday morning also works."


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: Sandbox) -> Iterator[Sandbox]:
    running.log.clear()
    running.faults.clear()
    vertex_fake(running.app).reset_quota()
    yield running
    running.faults.clear()
    vertex_fake(running.app).per_minute = 1500
    vertex_fake(running.app).reset_quota()


def post(sandbox: Sandbox, body: Any, path: str = PREDICT, headers: dict[str, str] | None = None
         ) -> requests.Response:
    return sandbox.session().post(sandbox.http_url + path, json=body, headers=AUTH if headers is None else headers,
                                  timeout=30)


def embed(sandbox: Sandbox, *texts: str, task: str = "RETRIEVAL_DOCUMENT", **parameters: Any) -> list[list[float]]:
    answer = post(sandbox, {"instances": [{"content": t, "task_type": task} for t in texts],
                            "parameters": parameters})
    assert answer.status_code == 200, answer.text
    return [p["embeddings"]["values"] for p in answer.json()["predictions"]]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def assert_google_error(answer: requests.Response, code: int, status: str, words: str = "") -> None:
    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error["status"]) == (code, code, status)
    assert words in error["message"]


def test_a_prediction_per_instance_in_order_with_statistics_and_billable_characters(sandbox: Sandbox) -> None:
    body = {"instances": [{"content": BUDGET_DOC, "task_type": "RETRIEVAL_DOCUMENT", "title": "Renewal"},
                          {"content": SCHEDULING_DOC, "task_type": "RETRIEVAL_DOCUMENT"}],
            "parameters": {"autoTruncate": True}}
    answer = post(sandbox, body)

    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    reply = answer.json()
    assert list(reply) == ["predictions", "metadata"]
    assert [list(p["embeddings"]) for p in reply["predictions"]] == [["values", "statistics"]] * 2
    assert [p["embeddings"]["statistics"] for p in reply["predictions"]] == [
        {"truncated": False, "token_count": token_count(BUDGET_DOC)},
        {"truncated": False, "token_count": token_count(SCHEDULING_DOC)}]
    assert reply["metadata"] == {"billableCharacterCount": len("Renewal") + sum(
        len(text.replace(" ", "")) for text in (BUDGET_DOC, SCHEDULING_DOC))}
    vectors = [p["embeddings"]["values"] for p in reply["predictions"]]
    assert [len(v) for v in vectors] == [768, 768]
    assert all(isinstance(x, float) for v in vectors for x in v)
    assert [round(norm(v), 9) for v in vectors] == [1.0, 1.0]
    assert vectors[1] == embed(sandbox, SCHEDULING_DOC)[0]


def test_vectors_depend_on_the_text_only_the_same_in_every_sandbox_and_run(sandbox: Sandbox) -> None:
    first = embed(sandbox, "Acme renewal call notes", BUDGET_DOC)
    with Sandbox(build_world(seed=99, scale=1, anchor=ANCHOR)) as other:
        again = embed(other, "Acme renewal call notes", BUDGET_DOC)

    assert first == again
    assert [round(x, 6) for x in first[0][:3]] == [0.3247, -0.081535, 0.284476]
    assert first[0] != first[1]


def test_related_texts_are_closer_than_unrelated_ones(sandbox: Sandbox) -> None:
    budget_doc, scheduling_doc = embed(sandbox, BUDGET_DOC, SCHEDULING_DOC)
    budget_query, scheduling_query = embed(sandbox, BUDGET_QUERY, "schedule a meeting on Tuesday",
                                           task="RETRIEVAL_QUERY")

    assert cosine(budget_query, budget_doc) > 0.5 > 0.2 > cosine(budget_query, scheduling_doc)
    assert cosine(scheduling_query, scheduling_doc) > 0.5 > 0.2 > cosine(scheduling_query, budget_doc)


def test_the_task_type_moves_the_vector_slightly(sandbox: Sandbox) -> None:
    document = embed(sandbox, BUDGET_DOC, task="RETRIEVAL_DOCUMENT")[0]
    query = embed(sandbox, BUDGET_DOC, task="RETRIEVAL_QUERY")[0]
    default = post(sandbox, {"instances": [{"content": BUDGET_DOC}]}).json()["predictions"][0]["embeddings"]["values"]

    assert 0.95 < cosine(document, query) < 0.999
    assert default == query


@pytest.mark.parametrize("dimension", [1, 8, 256, 768])
def test_output_dimensionality_is_a_renormalised_prefix_of_the_full_vector(sandbox: Sandbox, dimension: int) -> None:
    full = embed(sandbox, BUDGET_DOC)[0]
    short = embed(sandbox, BUDGET_DOC, outputDimensionality=dimension)[0]

    assert len(short) == dimension and round(norm(short), 9) == 1.0
    prefix = norm(full[:dimension])
    assert short == pytest.approx([x / prefix for x in full[:dimension]])


def test_gemini_embedding_has_3072_dimensions_and_takes_one_instance_a_request(sandbox: Sandbox) -> None:
    path = f"{MODELS}/gemini-embedding-001:predict"
    one = post(sandbox, {"instances": [{"content": BUDGET_DOC}]}, path)
    two = post(sandbox, {"instances": [{"content": BUDGET_DOC}, {"content": SCHEDULING_DOC}]}, path)

    assert len(one.json()["predictions"][0]["embeddings"]["values"]) == 3072
    assert_google_error(two, 400, "INVALID_ARGUMENT", "at most 1 instances")


def test_a_long_instance_is_truncated_to_the_token_limit_unless_auto_truncate_is_false(sandbox: Sandbox) -> None:
    long_text = "pricing " * 2500
    assert token_count(long_text) == 5000
    cut = post(sandbox, {"instances": [{"content": long_text}]}).json()
    refused = post(sandbox, {"instances": [{"content": long_text}], "parameters": {"autoTruncate": False}})

    assert cut["predictions"][0]["embeddings"]["statistics"] == {"truncated": True, "token_count": MAX_INPUT_TOKENS}
    assert cut["metadata"] == {"billableCharacterCount": 1024 * len("pricing")}
    assert_google_error(refused, 400, "INVALID_ARGUMENT", "5000 input tokens")


@pytest.mark.parametrize(("body", "words"), [
    ({"instances": [{"content": "a note"}] * 251}, "251 instances"),
    ({"instances": [{"content": "note " * 2000}] * 11}, "input token count is 22000 but the model supports up "
                                                           "to 20000"),
    ({"instances": []}, "instances"),
    ({"contents": [{"parts": [{"text": "hi"}]}]}, "instances"),
    ({"instances": [{"content": "   "}]}, "empty"),
    ({"instances": [{"text": "wrong field"}]}, "expected fields"),
    ({"instances": [{"content": "hi", "task_type": "SEARCH"}]}, "task_type"),
    ({"instances": [{"content": "hi", "task_type": "RETRIEVAL_QUERY", "title": "T"}]}, "title"),
    ({"instances": [{"content": "hi"}], "parameters": {"outputDimensionality": 769}}, "between 1 and 768"),
    ({"instances": [{"content": "hi"}], "parameters": {"outputDimensionality": 0}}, "between 1 and 768"),
    ({"instances": [{"content": "hi"}], "parameters": {"autoTruncate": "yes"}}, "autoTruncate"),
])
def test_bad_requests_are_invalid_argument(sandbox: Sandbox, body: dict[str, Any], words: str) -> None:
    assert_google_error(post(sandbox, body), 400, "INVALID_ARGUMENT", words)


def test_250_instances_within_20000_tokens_are_accepted(sandbox: Sandbox) -> None:
    answer = post(sandbox, {"instances": [{"content": "pricing " * 40}] * 250})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 250


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwdw=="}])
def test_a_request_without_a_bearer_token_is_unauthenticated(sandbox: Sandbox, headers: dict[str, str]) -> None:
    assert_google_error(post(sandbox, {"instances": [{"content": "hi"}]}, headers=headers), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("model_call", ["text-embedding-999:predict", "text-embedding-005:generateContent"])
def test_an_unknown_model_or_method_is_not_found(sandbox: Sandbox, model_call: str) -> None:
    answer = post(sandbox, {"instances": [{"content": "hi"}]}, f"{MODELS}/{model_call}")
    assert_google_error(answer, 404, "NOT_FOUND", "publishers/google/models/text-embedding-")


def test_an_injected_quota_fault_answers_429_resource_exhausted_then_lets_requests_through(sandbox: Sandbox) -> None:
    quota_fault(sandbox.faults, times=1)
    refused = post(sandbox, {"instances": [{"content": "hi"}]})
    accepted = post(sandbox, {"instances": [{"content": "hi"}]})

    assert_google_error(refused, 429, "RESOURCE_EXHAUSTED", "Quota exceeded")
    assert "Retry-After" not in refused.headers
    assert accepted.status_code == 200
    assert [(r.status, r.fault) for r in predict_requests(sandbox.log)] == [(429, True), (200, False)]


def test_requests_over_the_per_minute_quota_are_refused(sandbox: Sandbox) -> None:
    vertex_fake(sandbox.app).per_minute = 2
    vertex_fake(sandbox.app).reset_quota()
    statuses = [post(sandbox, {"instances": [{"content": "hi"}]}).status_code for _ in range(3)]
    other_model = post(sandbox, {"instances": [{"content": "hi"}]}, f"{MODELS}/text-embedding-004:predict")

    assert statuses == [200, 200, 429]
    assert other_model.status_code == 200


def test_every_predict_call_is_recorded_with_its_instances(sandbox: Sandbox) -> None:
    embed(sandbox, BUDGET_DOC, SCHEDULING_DOC, outputDimensionality=64)
    embed(sandbox, BUDGET_QUERY, task="RETRIEVAL_QUERY")
    sandbox.session().get(sandbox.http_url + "/_sandbox/health", timeout=10)

    calls = predict_requests(sandbox.log)
    assert len(calls) == 2 and [c.status for c in calls] == [200, 200]
    assert [len(c.json()["instances"]) for c in calls] == [2, 1]
    assert calls[0].json()["parameters"] == {"outputDimensionality": 64}
    assert [i["task_type"] for c in calls for i in c.json()["instances"]] == [
        "RETRIEVAL_DOCUMENT", "RETRIEVAL_DOCUMENT", "RETRIEVAL_QUERY"]
    assert calls[0].header("Authorization") == AUTH["Authorization"]


def test_the_sandbox_settings_point_at_the_fake_and_the_health_check_lists_it(sandbox: Sandbox) -> None:
    env = settings_env(sandbox)
    answer = sandbox.session().post(env["VERTEX_BASE_URL"] + PREDICT, json={"instances": [{"content": "hi"}]},
                                    headers={"Authorization": f"Bearer {env['VERTEX_STATIC_TOKEN']}"}, timeout=10)
    health = sandbox.session().get(sandbox.http_url + "/_sandbox/health", timeout=10).json()

    assert env["VERTEX_AUTH"] == "static_token"
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 1
    assert "vertex" in health["sources"]
