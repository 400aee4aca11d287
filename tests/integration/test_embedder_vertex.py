"""The Vertex AI embedder (google-genai over the shared session) against the sandbox's `:predict` fake."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth
import pytest
from google.oauth2.credentials import Credentials

from sandbox.apis.vertex import PATH_PREFIX, error_body, predict_requests, quota_fault, token_count, vertex_fake
from sandbox.apis.vertex import embed as fake_embed
from sandbox.env import FAKE_TOKEN, settings_env
from sandbox.recording import RecordedRequest
from sandbox.server import Sandbox
from tests.conftest import FakeClock

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "generate_embeddings"))

from emb_embedder import EmbeddingError, mean_pool
from emb_settings import EmbeddingSettings
from emb_vertex import VertexEmbedder, estimate_tokens, windows

from shared.http import HttpPolicy

PREDICT = "/v1/projects/sandbox-project/locations/us-central1/publishers/google/models/text-embedding-005:predict"
BUDGET = "Our budget for next quarter is approved, but the pricing needs a discount before procurement signs."
DEMO = "Can we schedule the demo meeting for Tuesday afternoon? Thursday morning also works."
WORDS = ("renewal pricing discount procurement contract signature quarter budget approval meeting schedule "
         "integration onboarding security review").split()


@pytest.fixture
def vertex(running_sandbox: Sandbox) -> Iterator[Sandbox]:
    running_sandbox.log.clear()
    running_sandbox.faults.clear()
    vertex_fake(running_sandbox.app).reset_quota()
    yield running_sandbox
    running_sandbox.faults.clear()
    vertex_fake(running_sandbox.app).reset_quota()


def make_embedder(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock,
                  **env: str) -> VertexEmbedder:
    for name, value in {**settings_env(sandbox), "GOOGLE_CLOUD_PROJECT": "sandbox-project",
                        "EMBEDDER": "vertex", "HTTP_MAX_RETRIES": "3", **env}.items():
        monkeypatch.setenv(name, value)
    settings = EmbeddingSettings()
    return VertexEmbedder(settings, HttpPolicy.from_settings(settings, source="vertex", sleep=clock.sleep))


@pytest.fixture
def embedder(vertex: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> Iterator[VertexEmbedder]:
    built = make_embedder(vertex, monkeypatch, clock)
    yield built
    built.close()


def instances(request: RecordedRequest) -> list[dict[str, Any]]:
    body = request.json()
    assert set(body) == {"instances"}
    return list(body["instances"])


def document_vector(text: str) -> list[float]:
    return fake_embed(text, "RETRIEVAL_DOCUMENT", None, 768, 768)


def long_text(words: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] + ("." if i % 11 == 10 else "") for i in range(words))


def test_documents_are_one_predict_call_with_the_bearer_and_the_document_task_type(
        vertex: Sandbox, embedder: VertexEmbedder) -> None:
    vectors = embedder.embed_documents([BUDGET, DEMO])

    [request] = predict_requests(vertex.log)
    assert (request.method, request.path, request.status) == ("POST", PREDICT, 200)
    assert request.header("Authorization") == f"Bearer {FAKE_TOKEN}"
    assert instances(request) == [{"content": BUDGET, "task_type": "RETRIEVAL_DOCUMENT"},
                                  {"content": DEMO, "task_type": "RETRIEVAL_DOCUMENT"}]
    assert vectors == [document_vector(BUDGET), document_vector(DEMO)]
    assert (embedder.model, embedder.dim, [len(v) for v in vectors]) == ("text-embedding-005", 768, [768, 768])


def test_a_query_is_embedded_with_the_query_task_type(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    query = embedder.embed_query(BUDGET)

    [request] = predict_requests(vertex.log)
    assert instances(request) == [{"content": BUDGET, "task_type": "RETRIEVAL_QUERY"}]
    assert query == fake_embed(BUDGET, "RETRIEVAL_QUERY", None, 768, 768)
    assert query != document_vector(BUDGET)


def test_batches_are_split_at_250_instances(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    texts = [f"note about {WORDS[i % len(WORDS)]} number {i}" for i in range(501)]
    vectors = embedder.embed_documents(texts)

    requests = predict_requests(vertex.log)
    assert [len(instances(r)) for r in requests] == [250, 250, 1]
    assert [i["content"] for r in requests for i in instances(r)] == texts
    assert vectors == [document_vector(t) for t in texts]


def test_batches_are_split_by_estimated_tokens_within_20000(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    texts = [("pricing " * 300).strip()] * 30  # 900 estimated tokens each (300 fake tokens)
    assert estimate_tokens(texts[0]) == 900

    embedder.embed_documents(texts)

    requests = predict_requests(vertex.log)
    assert [len(instances(r)) for r in requests] == [22, 8]
    assert all(sum(estimate_tokens(i["content"]) for i in instances(r)) <= 20_000 for r in requests)
    assert [r.status for r in requests] == [200, 200]


def test_a_long_text_is_split_into_windows_and_mean_pooled_not_truncated(
        vertex: Sandbox, embedder: VertexEmbedder) -> None:
    text = long_text(3000)
    [vector, short] = embedder.embed_documents([text, DEMO])

    [request] = predict_requests(vertex.log)
    sent = [i["content"] for i in instances(request)]
    assert len(sent) == 1 + len(windows(text)) and len(sent) >= 3 and sent[-1] == DEMO
    assert all(estimate_tokens(w) <= 2048 and token_count(w) <= 2048 for w in sent)
    assert " ".join(sent[:-1]).split() == text.split()
    assert vector == pytest.approx(mean_pool([document_vector(w) for w in sent[:-1]]), abs=1e-12)
    assert short == document_vector(DEMO)
    assert sum(x * x for x in vector) == pytest.approx(1.0)


def test_a_429_storm_is_retried_by_the_session_then_succeeds(
        vertex: Sandbox, embedder: VertexEmbedder, clock: FakeClock) -> None:
    quota_fault(vertex.faults, times=3)
    vectors = embedder.embed_documents([BUDGET])

    assert [(r.status, r.fault) for r in predict_requests(vertex.log)] == [(429, True)] * 3 + [(200, False)]
    assert len(clock.sleeps) == 3
    assert vectors == [document_vector(BUDGET)]


def test_a_retry_after_on_429_is_honoured(vertex: Sandbox, embedder: VertexEmbedder, clock: FakeClock) -> None:
    quota_fault(vertex.faults, times=1, retry_after=7)
    embedder.embed_documents([BUDGET])

    assert clock.sleeps == [7.0]


def test_a_429_that_never_ends_raises_after_the_policys_retries(
        vertex: Sandbox, embedder: VertexEmbedder, clock: FakeClock) -> None:
    quota_fault(vertex.faults, times=None)
    with pytest.raises(EmbeddingError, match="429 RESOURCE_EXHAUSTED"):
        embedder.embed_documents([BUDGET, DEMO])

    assert [r.status for r in predict_requests(vertex.log)] == [429] * 4  # 1 + HTTP_MAX_RETRIES=3
    assert len(clock.sleeps) == 3


def test_a_rejected_token_is_a_clear_error_without_retries(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    """The fake accepts any bearer value, so Google's answer to a wrong token is injected."""
    vertex.faults.add(PATH_PREFIX, status=401, retry_after=None, times=None, method="POST",
                      body=error_body(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."))
    with pytest.raises(EmbeddingError, match="refused the credentials \\(401 UNAUTHENTICATED\\)") as raised:
        embedder.embed_documents([BUDGET])

    assert FAKE_TOKEN not in str(raised.value)
    assert [r.status for r in predict_requests(vertex.log)] == [401]


def test_credentials_that_cannot_be_refreshed_are_a_clear_error(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    embedder.client._api_client._credentials.token = None  # type: ignore[union-attr]  # as if the token expired
    with pytest.raises(EmbeddingError, match="credentials could not be refreshed"):
        embedder.embed_documents([BUDGET])
    assert predict_requests(vertex.log) == []


def test_a_batch_refused_with_400_is_split_in_two_and_retried_once(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    too_many = error_body(400, "INVALID_ARGUMENT", "Unable to submit request because the input token count is "
                                                   "21000 but the model supports up to 20000.")
    vertex.faults.add(PATH_PREFIX, status=400, retry_after=None, times=1, method="POST", body=too_many)
    texts = [BUDGET, DEMO, "renewal contract", "security review"]
    vectors = embedder.embed_documents(texts)

    requests = predict_requests(vertex.log)
    assert [(r.status, len(instances(r))) for r in requests] == [(400, 4), (200, 2), (200, 2)]
    assert vectors == [document_vector(t) for t in texts]


def test_a_400_after_the_split_raises_and_returns_nothing(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    vertex.faults.add(PATH_PREFIX, status=400, retry_after=None, times=None, method="POST",
                      body=error_body(400, "INVALID_ARGUMENT", "input token count is too high"))
    with pytest.raises(EmbeddingError, match="400 INVALID_ARGUMENT"):
        embedder.embed_documents([BUDGET, DEMO, "renewal contract"])

    assert [(r.status, len(instances(r))) for r in predict_requests(vertex.log)] == [(400, 3), (400, 1)]


def test_an_empty_text_is_refused_before_any_request(vertex: Sandbox, embedder: VertexEmbedder) -> None:
    with pytest.raises(EmbeddingError, match="text 1 is empty"):
        embedder.embed_documents([BUDGET, "  \n "])
    assert predict_requests(vertex.log) == []


def test_a_model_outside_the_predict_family_is_refused_at_construction(
        vertex: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="EMBEDDING_MODEL='gemini-embedding-001'"):
        make_embedder(vertex, monkeypatch, clock, EMBEDDING_MODEL="gemini-embedding-001")


def test_adc_asks_for_the_cloud_platform_scope_and_uses_its_project(
        vertex: Sandbox, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    asked: list[Any] = []

    def fake_default(scopes: list[str]) -> tuple[Credentials, str]:
        asked.append(scopes)
        return Credentials(token="adc-fake-token"), "adc-project"

    monkeypatch.setattr(google.auth, "default", fake_default)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    embedder = make_embedder(vertex, monkeypatch, clock, VERTEX_AUTH="adc", GOOGLE_CLOUD_PROJECT="")
    embedder.embed_query(DEMO)
    embedder.close()

    [request] = predict_requests(vertex.log)
    assert asked == [["https://www.googleapis.com/auth/cloud-platform"]]
    assert request.path == PREDICT.replace("sandbox-project", "adc-project")
    assert request.header("Authorization") == "Bearer adc-fake-token"


@pytest.mark.parametrize("text", [BUDGET, DEMO, long_text(500), "Order #12345-ABC, ref: x9y8z7 (café) — 東京 ok?",
                                  "a" * 10_000, "id_" + "7" * 5000])
def test_the_token_estimate_never_undercounts_the_fakes_count_and_windows_keep_every_word(text: str) -> None:
    assert estimate_tokens(text) >= token_count(text)
    pieces = windows(text)
    assert all(estimate_tokens(w) <= 2048 for w in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())
