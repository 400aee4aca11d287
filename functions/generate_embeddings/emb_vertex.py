"""The Vertex AI embedder: google-genai `embed_content` (the `:predict` endpoint) over the shared HTTP session.

Vertex takes at most 250 texts and 20,000 tokens a request and silently cuts each text at 2,048 tokens. The
embedder cannot run Google's SentencePiece tokenizer, so it sizes requests with `estimate_tokens`, a deliberate
over-count: 1 token per 3 characters of a plain ASCII-letter word (English averages about 4), 1 per character of
any other word (digits, identifiers, non-Latin script, where SentencePiece often spends a token a character), 1 per
punctuation mark. A text over the 2,048-token window is cut at word boundaries into windows that each fit; the
text's vector is the mean of its windows' vectors (`mean_pool`), never a silently truncated text.

429 and 5xx are retried by the session's policy (Retry-After honoured); the SDK's own retry stays off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import google.auth
import google.auth.exceptions
import httpx2
from emb_embedder import EmbeddingError, Vector, mean_pool, normalised
from emb_settings import EmbeddingSettings
from google.genai import errors, types

from shared.http import HttpPolicy, make_session
from shared.httpx_bridge import session_client
from shared.log import get_logger
from shared.vertex import vertex_target

log = get_logger(__name__)

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
MAX_INSTANCES = 250
MAX_REQUEST_TOKENS = 20_000
WINDOW_TOKENS = 2_048
DOCUMENT = "RETRIEVAL_DOCUMENT"
QUERY = "RETRIEVAL_QUERY"


MODEL_DIMS = {"text-embedding-005": 768, "text-embedding-004": 768, "text-multilingual-embedding-002": 768}
"""Models served by `:predict`; google-genai sends gemini-* models to `:embedContent` instead (not supported)."""

_PIECE = re.compile(r"\w+|[^\w\s]")
_PLAIN_WORD = re.compile(r"[A-Za-z]+")


def _piece_tokens(piece: str) -> int:
    if _PLAIN_WORD.fullmatch(piece):
        return -(-len(piece) // 3)
    return len(piece)


def estimate_tokens(text: str) -> int:
    """An over-estimate of the model's token count of `text` (see the module docstring)."""
    return sum(_piece_tokens(m.group()) for m in _PIECE.finditer(text))


def windows(text: str, limit: int = WINDOW_TOKENS) -> list[str]:
    """`text` cut at word boundaries into pieces of at most `limit` estimated tokens each (a single word longer
    than that is cut inside the word)."""
    out: list[str] = []
    start, used = 0, 0
    for match in _PIECE.finditer(text):
        cost = _piece_tokens(match.group())
        if used + cost > limit and used:
            out.append(text[start:match.start()])
            start, used = match.start(), 0
        if cost > limit:
            step = limit * 3 if _PLAIN_WORD.fullmatch(match.group()) else limit
            for cut in range(match.start(), match.end(), step):
                out.append(text[cut:min(cut + step, match.end())])
            start, used = match.end(), 0
            continue
        used += cost
    if used:
        out.append(text[start:])
    return [w.strip() for w in out if w.strip()]


@dataclass(frozen=True)
class _Window:
    text_index: int
    content: str
    tokens: int


def batches(items: Sequence[_Window], max_instances: int = MAX_INSTANCES, max_tokens: int = MAX_REQUEST_TOKENS
            ) -> Iterator[list[_Window]]:
    batch: list[_Window] = []
    tokens = 0
    for item in items:
        if batch and (len(batch) >= max_instances or tokens + item.tokens > max_tokens):
            yield batch
            batch, tokens = [], 0
        batch.append(item)
        tokens += item.tokens
    if batch:
        yield batch


class VertexEmbedder:
    def __init__(self, settings: EmbeddingSettings, policy: HttpPolicy | None = None) -> None:
        self.model = settings.embedding_model
        if self.model not in MODEL_DIMS:
            raise ValueError(f"EMBEDDING_MODEL={self.model!r} is not supported; supported: {', '.join(MODEL_DIMS)}")
        self.dim = MODEL_DIMS[self.model]
        target = vertex_target(settings, "EMBEDDER=vertex")
        self.session = make_session(policy or HttpPolicy.from_settings(settings, source="vertex"))
        self._http: httpx2.Client = session_client(self.session)
        self.client = target.client(self._http)

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        return self._embed(texts, DOCUMENT)

    def embed_query(self, text: str) -> Vector:
        return self._embed([text], QUERY)[0]

    def close(self) -> None:
        self._http.close()

    def _embed(self, texts: Sequence[str], task_type: str) -> list[Vector]:
        items: list[_Window] = []
        for index, text in enumerate(texts):
            pieces = windows(text)
            if not pieces:
                raise EmbeddingError(f"text {index} is empty: nothing to embed")
            items.extend(_Window(index, piece, estimate_tokens(piece)) for piece in pieces)
        per_text: list[list[Vector]] = [[] for _ in texts]
        for batch in batches(items):
            for item, vector in zip(batch, self._embed_batch(batch, task_type, split=True), strict=True):
                per_text[item.text_index].append(vector)
        return [vectors[0] if len(vectors) == 1 else mean_pool(vectors) for vectors in per_text]

    def _embed_batch(self, batch: list[_Window], task_type: str, split: bool) -> list[Vector]:
        try:
            return self._predict(batch, task_type)
        except errors.ClientError as exc:
            if exc.code == 400 and split and len(batch) > 1:
                log.warning("vertex refused a batch of %d texts (%s); retrying it in two halves", len(batch),
                            exc.status, extra={"source": "vertex"})
                half = len(batch) // 2
                return (self._embed_batch(batch[:half], task_type, split=False)
                        + self._embed_batch(batch[half:], task_type, split=False))
            raise _failure(exc, len(batch)) from exc
        except errors.APIError as exc:
            raise _failure(exc, len(batch)) from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise EmbeddingError(f"Vertex AI credentials could not be refreshed: {exc}") from exc
        except httpx2.TransportError as exc:
            raise EmbeddingError(f"Vertex AI unreachable for a batch of {len(batch)} texts: {exc}") from exc

    def _predict(self, batch: list[_Window], task_type: str) -> list[Vector]:
        # typed as the SDK's union: with Pillow installed its PartUnion includes PIL images, and a list[str] is
        # then not a list of that union for mypy
        contents: list[types.ContentUnion] = [item.content for item in batch]
        response = self.client.models.embed_content(
            model=self.model, contents=contents, config=types.EmbedContentConfig(task_type=task_type))
        embeddings = response.embeddings or []
        if len(embeddings) != len(batch):
            raise EmbeddingError(f"Vertex AI returned {len(embeddings)} vectors for {len(batch)} texts")
        vectors: list[Vector] = []
        for embedding in embeddings:
            values = list(embedding.values or [])
            if len(values) != self.dim:
                raise EmbeddingError(f"Vertex AI returned a {len(values)}-dimensional vector; {self.model} has "
                                     f"{self.dim}")
            normalised(values)  # raises on a zero or non-finite vector
            if embedding.statistics is not None and embedding.statistics.truncated:
                log.warning("vertex truncated a window the estimate put at %d tokens",
                            estimate_tokens(batch[len(vectors)].content), extra={"source": "vertex"})
            vectors.append(values)
        return vectors


def _failure(exc: errors.APIError, size: int) -> EmbeddingError:
    if exc.code in (401, 403):
        return EmbeddingError(f"Vertex AI refused the credentials ({exc.code} {exc.status}): check VERTEX_AUTH and "
                              f"the service account's aiplatform.endpoints.predict permission")
    return EmbeddingError(f"Vertex AI failed a batch of {size} texts: {exc.code} {exc.status}: {exc.message}")
