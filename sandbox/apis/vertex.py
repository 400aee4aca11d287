"""The Vertex AI text-embeddings fake: POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:predict.

Request `{"instances": [{"content", "task_type"?, "title"?}],
"parameters": {"autoTruncate"?, "outputDimensionality"?}}`; reply `{"predictions": [{"embeddings": {"values",
"statistics": {"truncated", "token_count"}}}], "metadata": {"billableCharacterCount"}}`, predictions in instance order.

- Vectors are a hashed bag of stemmed words (stop words dropped, sublinear term frequency), L2-normalised, made from
  the text alone: the same on every run, and texts sharing words are closer than texts that share none. Each word
  has one signed slot in every power-of-two prefix of the vector, so `outputDimensionality` (a prefix of the full
  vector, renormalised, as with Matryoshka embeddings) never empties it. The task type adds a small fixed offset:
  a query and a document of the same text are close (cosine about 0.98) but not equal.
- Tokens are counted as ceil(len/4) per word and 1 per punctuation mark (`token_count`), an approximation of the
  model's SentencePiece tokenizer. Limits (Google's "Get text embeddings" page): at most `max_instances` instances
  (250; 1 for gemini-embedding-001) and 20,000 tokens a request, counted before truncation, else 400
  INVALID_ARGUMENT; an instance over 2,048 tokens is cut to 2,048 (`truncated: true`) unless `autoTruncate` is
  false (default true), then 400. `billableCharacterCount`: non-whitespace characters embedded (content and title).
- Bearer token required (401); unknown model 404; requests per minute per location and model limited to
  `fake.per_minute` (429 RESOURCE_EXHAUSTED); `quota_fault(sandbox.faults)` injects the same 429 through the
  sandbox's fault mechanism. Tests reach the fake with `vertex_fake(app)`; `predict_requests(log)` lists the
  recorded calls.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sandbox.apis.cursor import MinuteLimit
from sandbox.faults import Fault, FaultInjector
from sandbox.recording import RecordedRequest, RequestLog
from sandbox.state import SandboxState

PATH_PREFIX = "/v1/projects/"
MAX_INPUT_TOKENS = 2048
MAX_REQUEST_TOKENS = 20_000
REQUESTS_PER_MINUTE = 1500
"""Google publishes no default; the fake's guess, high enough for benchmarks. Tests lower `fake.per_minute`."""
CHARS_PER_TOKEN = 4
TASK_TYPES = ("RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION", "CLUSTERING",
              "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY")
DEFAULT_TASK_TYPE = "RETRIEVAL_QUERY"
TASK_WEIGHT = 0.15
_INSTANCE_FIELDS = {"content", "task_type", "title"}
_PIECE = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset(
    "a an and are as at be been but by can could do for from had has have he her him his i if in into is it its "
    "just me my no not of on or our so than that the their them then there these they this to too up us was we "
    "were what when which who will with would you your".split())


@dataclass(frozen=True)
class Model:
    dimension: int
    max_instances: int


MODELS = {
    "text-embedding-005": Model(768, 250),
    "text-embedding-004": Model(768, 250),
    "text-multilingual-embedding-002": Model(768, 250),
    "gemini-embedding-001": Model(3072, 1),
}


class RequestError(ValueError):
    pass


def error_body(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status,
                      "errors": [{"message": message, "domain": "global", "reason": status}]}}


def error(code: int, status: str, message: str) -> Response:
    response = jsonify(error_body(code, status, message))
    response.status_code = code
    return response


def _piece_tokens(piece: str) -> int:
    return -(-len(piece) // CHARS_PER_TOKEN)


def token_count(text: str) -> int:
    return sum(_piece_tokens(m.group()) for m in _PIECE.finditer(text))


def truncate(text: str, limit: int = MAX_INPUT_TOKENS) -> tuple[str, int, bool]:
    """(the text cut to `limit` tokens, its token count, whether it was cut)."""
    used = 0
    for match in _PIECE.finditer(text):
        cost = _piece_tokens(match.group())
        if used + cost > limit:
            return text[:match.start() + (limit - used) * CHARS_PER_TOKEN], limit, True
        used += cost
    return text, used, False


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[:-len(suffix)]
    return word


@lru_cache(maxsize=65536)
def _slots(feature: str, dimension: int) -> tuple[tuple[int, float], ...]:
    """Signed slots of one feature: one inside each power-of-two prefix, then eight anywhere; a weight in 0.75..1.25
    so that opposite signs never cancel exactly."""
    digest = hashlib.blake2b(feature.encode(), digest_size=64, person=b"sandbox-vertex").digest()
    bands = [min(dimension, 2 ** i) for i in range(math.ceil(math.log2(dimension)) + 1)] + [dimension] * 8
    weight = 0.75 + digest[-1] / 510
    slots = []
    for i, band in enumerate(bands):
        value = int.from_bytes(digest[2 * i:2 * i + 2], "big")
        slots.append(((value & 0x7FFF) % band, -weight if value & 0x8000 else weight))
    return tuple(slots)


def embed(content: str, task_type: str, title: str | None, dimension: int, full_dimension: int) -> list[float]:
    words = [_stem(w) for w in _WORD.findall(f"{title or ''} {content}".lower()) if w not in _STOP_WORDS]
    counts = Counter(words) or Counter({content.strip().lower(): 1})
    vector = [0.0] * full_dimension
    for word, count in sorted(counts.items()):
        scale = 1 + math.log(count)
        for slot, weight in _slots(f"w:{word}", full_dimension):
            vector[slot] += weight * scale
    offset = _slots(f"task:{task_type}", full_dimension)
    step = TASK_WEIGHT * math.sqrt(sum(x * x for x in vector)) / math.sqrt(len(offset))
    for slot, weight in offset:
        vector[slot] += weight * step
    vector = vector[:dimension]
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        return [1.0] + [0.0] * (dimension - 1)
    return [x / norm for x in vector]


@dataclass(frozen=True)
class Instance:
    content: str
    task_type: str
    title: str | None


def _instances(body: Any, model: Model) -> list[Instance]:
    if not isinstance(body, dict) or not isinstance(body.get("instances"), list) or not body["instances"]:
        raise RequestError("Invalid JSON payload: \"instances\" must be a non-empty list.")
    items = body["instances"]
    if len(items) > model.max_instances:
        raise RequestError(f"The request has {len(items)} instances; the model accepts at most "
                              f"{model.max_instances} instances per request.")
    instances = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - _INSTANCE_FIELDS:
            raise RequestError(f"Invalid instance at index {index}: expected fields content, task_type, title.")
        content, task, title = item.get("content"), item.get("task_type", DEFAULT_TASK_TYPE), item.get("title")
        if not isinstance(content, str) or not content.strip():
            raise RequestError(f"Instance {index}: the text content is empty.")
        if task not in TASK_TYPES:
            raise RequestError(f"Instance {index}: unsupported task_type {task!r}.")
        if title is not None and (not isinstance(title, str) or task != "RETRIEVAL_DOCUMENT"):
            raise RequestError(f"Instance {index}: title is only valid with task_type RETRIEVAL_DOCUMENT.")
        instances.append(Instance(content, task, title))
    return instances


def _parameters(body: dict[str, Any], model: Model) -> tuple[bool, int]:
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise RequestError("Invalid JSON payload: \"parameters\" must be an object.")
    auto_truncate = parameters.get("autoTruncate", True)
    dimension = parameters.get("outputDimensionality", model.dimension)
    if not isinstance(auto_truncate, bool):
        raise RequestError("autoTruncate must be a boolean.")
    if isinstance(dimension, bool) or not isinstance(dimension, int) or not 1 <= dimension <= model.dimension:
        raise RequestError(f"outputDimensionality must be an integer between 1 and {model.dimension}.")
    return auto_truncate, dimension


def predict(body: Any, model: Model) -> dict[str, Any]:
    instances = _instances(body, model)
    auto_truncate, dimension = _parameters(body, model)
    cut = [truncate(i.content) for i in instances]
    counts = [token_count(i.content) for i in instances]
    for index, count in enumerate(counts):
        if count > MAX_INPUT_TOKENS and not auto_truncate:
            raise RequestError(f"Instance {index} has {count} input tokens, more than the model's limit of "
                                  f"{MAX_INPUT_TOKENS}. Shorten the text or set autoTruncate to true.")
    if sum(counts) > MAX_REQUEST_TOKENS:
        raise RequestError(f"Unable to submit request because the input token count is {sum(counts)} but the "
                              f"model supports up to {MAX_REQUEST_TOKENS}. Reduce the input token count and try "
                              "again.")
    predictions = [{"embeddings": {
        "values": embed(text, i.task_type, i.title, dimension, model.dimension),
        "statistics": {"truncated": truncated, "token_count": tokens}}}
        for i, (text, tokens, truncated) in zip(instances, cut, strict=True)]
    billable = sum(len(re.sub(r"\s", "", text + (i.title or ""))) for i, (text, _, _) in zip(instances, cut,
                                                                                             strict=True))
    return {"predictions": predictions, "metadata": {"billableCharacterCount": billable}}


def quota_message(model: str) -> str:
    return (f"Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base "
            f"model: {model}. Please submit a quota increase request.")


def quota_fault(faults: FaultInjector, times: int | None = 1, model: str = "text-embedding-005",
                retry_after: float | None = None) -> Fault:
    """Google's 429 for the next `times` predict calls, through the sandbox's fault mechanism (Vertex sends no
    Retry-After)."""
    return faults.add(PATH_PREFIX, status=429, retry_after=retry_after, times=times, method="POST",
                      body=error_body(429, "RESOURCE_EXHAUSTED", quota_message(model)))


def predict_requests(log: RequestLog) -> list[RecordedRequest]:
    return log.matching("POST", PATH_PREFIX, where=lambda r: r.path.endswith(":predict"))


class VertexFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.per_minute = REQUESTS_PER_MINUTE
        self._limits: dict[tuple[str, str], MinuteLimit] = {}
        self._lock = threading.Lock()

    def reset_quota(self) -> None:
        with self._lock:
            self._limits.clear()

    def _over_quota(self, location: str, model: str) -> bool:
        with self._lock:
            limit = self._limits.setdefault((location, model), MinuteLimit(per_minute=self.per_minute))
        return limit.retry_after() is not None

    def predict(self, project: str, location: str, model_call: str) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected "
                                                 "OAuth 2 access token.")
        name, _, verb = model_call.rpartition(":")
        model = MODELS.get(name)
        if verb != "predict" or model is None:
            return error(404, "NOT_FOUND", f"Publisher Model `projects/{project}/locations/{location}/publishers/"
                                           f"google/models/{name or model_call}` not found.")
        if self._over_quota(location, name):
            return error(429, "RESOURCE_EXHAUSTED", quota_message(name))
        try:
            return jsonify(predict(request.get_json(silent=True), model))
        except RequestError as invalid:
            return error(400, "INVALID_ARGUMENT", str(invalid))


class VertexBlueprint(Blueprint):
    fake: VertexFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = VertexFake(state)
    bp = VertexBlueprint("vertex", __name__)
    bp.fake = fake
    bp.add_url_rule("/v1/projects/<project>/locations/<location>/publishers/google/models/<model_call>",
                    view_func=fake.predict, methods=["POST"])
    return bp


def vertex_fake(app: Flask) -> VertexFake:
    bp = app.blueprints["vertex"]
    assert isinstance(bp, VertexBlueprint)
    return bp.fake
