"""The Vertex AI Gemini fake: POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent.

Request `{"contents": [{"role": "user", "parts": [{"text"}]}], "systemInstruction"?: {"parts": [{"text"}]},
"generationConfig"?: {"responseMimeType", "responseSchema", "maxOutputTokens", "temperature", ...}}`; reply
`{"candidates": [{"content": {"role": "model", "parts": [{"text"}]}, "finishReason", "index": 0}],
"usageMetadata": {"promptTokenCount", "candidatesTokenCount", "totalTokenCount"}, "modelVersion", "responseId"}`.

- The reply is built from the prompt alone, the same on every run: with `responseMimeType: application/json` and a
  `responseSchema` it is a JSON text of an object with every property of the schema, each string made of the
  first alphabetic words of the last user text (of its string values when that text is JSON; no digits, so a
  reply never cites a number the prompt lacks); without a schema, the same words as plain text.
  `reply_text(body)` gives the text a body gets.
- Tokens are ceil(len/4) per word and 1 per punctuation mark. A reply over `maxOutputTokens` is cut there with
  `finishReason: MAX_TOKENS` (the text is then not valid JSON), as Gemini does.
- Bearer token required (401); a model other than the Gemini ones in MODELS, or another method, 404 NOT_FOUND;
  no `contents`, a content without a role of user/model or without text parts, an unknown field, a schema without
  `responseMimeType: application/json`: 400 INVALID_ARGUMENT.
- Misbehaviour a test switches on with `gemini_fake(app).misbehave(mode, when=..., times=...)`, for requests
  whose prompt contains `when` (or every request): "quota" (429 RESOURCE_EXHAUSTED, `retry_after` seconds or no
  header, as Vertex sends), "internal" (500 INTERNAL), "safety" (a candidate blocked with finishReason SAFETY and
  no content), "prompt_blocked" (no candidates, promptFeedback.blockReason SAFETY), "max_tokens" (the reply cut
  with finishReason MAX_TOKENS), "not_json" (finishReason STOP, text that is not JSON), "wrong_schema" (valid JSON
  without the schema's properties), "slow" (the normal reply after `delay` seconds). `quota_fault(faults)` injects
  the 429 through the sandbox's path-based fault mechanism instead. `generate_requests(log)` lists the recorded
  calls.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sandbox.apis.vertex import PATH_PREFIX, error, error_body
from sandbox.faults import Fault, FaultInjector
from sandbox.recording import RecordedRequest, RequestLog
from sandbox.state import SandboxState

METHOD = ":generateContent"
MODELS = ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-2.0-flash-001")
MODES = ("quota", "internal", "safety", "prompt_blocked", "max_tokens", "not_json", "wrong_schema", "slow")
REPLY_WORDS = 12
DEFAULT_MAX_OUTPUT_TOKENS = 8192
_BODY_FIELDS = {"contents", "systemInstruction", "generationConfig", "safetySettings", "tools", "toolConfig",
                "labels", "cachedContent"}
_CONFIG_FIELDS = {"temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
                  "presencePenalty", "frequencyPenalty", "seed", "responseMimeType", "responseSchema",
                  "responseJsonSchema", "responseLogprobs", "logprobs", "thinkingConfig", "mediaResolution"}
_MIME_TYPES = ("text/plain", "application/json", "text/x.enum")
_PIECE = re.compile(r"\w+|[^\w\s]")
_ALPHA = re.compile(r"[A-Za-z]+")
_SAFETY_RATINGS = [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True},
                   {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}]


class RequestError(ValueError):
    pass


def token_count(text: str) -> int:
    return sum(-(-len(m.group()) // 4) for m in _PIECE.finditer(text))


def _texts(content: Any, where: str) -> list[str]:
    if not isinstance(content, dict) or not isinstance(content.get("parts"), list) or not content["parts"]:
        raise RequestError(f"{where}: parts must be a non-empty list.")
    texts = [part.get("text") for part in content["parts"] if isinstance(part, dict)]
    if len(texts) != len(content["parts"]) or not all(isinstance(t, str) for t in texts):
        raise RequestError(f"{where}: only text parts are supported by the sandbox.")
    return [t for t in texts if isinstance(t, str)]


def _check_contents(body: dict[str, Any]) -> list[str]:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise RequestError("Unable to submit request because it must include at least one parts field, which "
                           "describes the prompt input. contents must be a non-empty list.")
    for index, content in enumerate(contents):
        if not isinstance(content, dict) or content.get("role") not in ("user", "model"):
            raise RequestError(f"contents[{index}].role must be user or model.")
        _texts(content, f"contents[{index}]")
    if contents[-1]["role"] != "user":
        raise RequestError("The last content must have the role user.")
    return _texts(contents[-1], "contents[-1]")


def _check_config(body: dict[str, Any]) -> dict[str, Any]:
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise RequestError("generationConfig must be an object.")
    unknown = sorted(set(config) - _CONFIG_FIELDS)
    if unknown:
        raise RequestError(f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at 'generation_config': "
                           "Cannot find field.")
    mime = config.get("responseMimeType", "text/plain")
    if mime not in _MIME_TYPES:
        raise RequestError(f"responseMimeType {mime!r} is not supported; allowed: {', '.join(_MIME_TYPES)}.")
    if "responseSchema" in config and mime != "application/json":
        raise RequestError("responseSchema requires responseMimeType application/json.")
    limit = config.get("maxOutputTokens", DEFAULT_MAX_OUTPUT_TOKENS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 65_536:
        raise RequestError("maxOutputTokens must be an integer between 1 and 65536.")
    return config


def check(body: Any) -> tuple[list[str], dict[str, Any]]:
    """(the last user message's texts, the generation config) of a valid request; RequestError otherwise."""
    if not isinstance(body, dict):
        raise RequestError("Invalid JSON payload: the body must be an object.")
    unknown = sorted(set(body) - _BODY_FIELDS)
    if unknown:
        raise RequestError(f"Invalid JSON payload received. Unknown name \"{unknown[0]}\": Cannot find field.")
    texts = _check_contents(body)
    if "systemInstruction" in body:
        _texts(body["systemInstruction"], "systemInstruction")
    return texts, _check_config(body)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _strings(item)]


def _words(texts: list[str]) -> str:
    """The first alphabetic words of the texts; of a JSON text, of its string values."""
    sources = []
    for text in texts:
        try:
            sources.extend(_strings(json.loads(text)))
        except ValueError:
            sources.append(text)
    return " ".join(_ALPHA.findall(" ".join(sources))[:REPLY_WORDS])


def _value(schema: Any, name: str, words: str) -> Any:
    kind = str(schema.get("type", "STRING")).upper() if isinstance(schema, dict) else "STRING"
    if kind == "OBJECT":
        properties = schema.get("properties") or {}
        return {key: _value(sub, key, words) for key, sub in properties.items()}
    if kind == "ARRAY":
        return [_value(schema.get("items") or {}, name, words)]
    if kind in ("INTEGER", "NUMBER"):
        return 0
    if kind == "BOOLEAN":
        return True
    label = name.replace("_", " ").capitalize() or "Reply"
    return f"{label} from the sandbox about {words}."


def reply_text(body: Any) -> str:
    """The full text the fake answers `body` with (before any MAX_TOKENS cut)."""
    texts, config = check(body)
    words = _words(texts)
    if config.get("responseMimeType") == "application/json":
        return json.dumps(_value(config.get("responseSchema") or {"type": "OBJECT", "properties": {
            "text": {"type": "STRING"}}}, "", words))
    return f"Sandbox reply about {words}."


def _cut(text: str, limit: int) -> str:
    used = 0
    for match in _PIECE.finditer(text):
        used += -(-len(match.group()) // 4)
        if used > limit:
            return text[:match.start()]
    return text


@dataclass
class Misbehaviour:
    mode: str
    when: str | None
    times: int | None
    retry_after: float | None
    delay: float
    hits: int = 0

    def applies(self, prompt: str) -> bool:
        return (self.times is None or self.hits < self.times) and (self.when is None or self.when in prompt)


def _candidate(text: str | None, finish: str) -> dict[str, Any]:
    candidate: dict[str, Any] = {} if text is None else {"content": {"role": "model", "parts": [{"text": text}]}}
    candidate.update(finishReason=finish, index=0)
    if finish == "SAFETY":
        candidate["safetyRatings"] = _SAFETY_RATINGS
    return candidate


def generate(body: Any, model: str, mode: str | None = None) -> dict[str, Any]:
    texts, config = check(body)
    system = _texts(body["systemInstruction"], "systemInstruction") if "systemInstruction" in body else []
    prompt_tokens = sum(token_count(t) for c in body["contents"] for t in _texts(c, "")) + sum(map(token_count,
                                                                                                  system))
    text, finish = reply_text(body), "STOP"
    limit = config.get("maxOutputTokens", DEFAULT_MAX_OUTPUT_TOKENS)
    if mode == "max_tokens" or token_count(text) > limit:
        text, finish = _cut(text, min(limit, max(1, token_count(text) // 2))), "MAX_TOKENS"
    elif mode == "not_json":
        text = f"Here is the summary you asked for: {_words(texts)}"
    elif mode == "wrong_schema":
        text = json.dumps({"headline": _words(texts)})
    reply: dict[str, Any] = {"candidates": [_candidate(text, finish)]}
    if mode == "safety":
        reply = {"candidates": [_candidate(None, "SAFETY")]}
    elif mode == "prompt_blocked":
        reply = {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": _SAFETY_RATINGS}}
    output = token_count(text) if "content" in reply.get("candidates", [{}])[0] else 0
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    return {**reply, "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output,
                                       "totalTokenCount": prompt_tokens + output},
            "modelVersion": model, "responseId": digest}


def quota_message(model: str) -> str:
    return (f"Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_"
            f"base_model with base model: {model}. Please submit a quota increase request.")


def quota_fault(faults: FaultInjector, times: int | None = 1, model: str = "gemini-2.5-flash",
                retry_after: float | None = None) -> Fault:
    """Google's 429 for the next `times` calls to the prefix (every Vertex call), through the sandbox's faults."""
    return faults.add(PATH_PREFIX, status=429, retry_after=retry_after, times=times, method="POST",
                      body=error_body(429, "RESOURCE_EXHAUSTED", quota_message(model)))


def generate_requests(log: RequestLog) -> list[RecordedRequest]:
    return log.matching("POST", PATH_PREFIX, where=lambda r: r.path.endswith(METHOD))


class GeminiFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._rules: list[Misbehaviour] = []
        self._lock = threading.Lock()

    def misbehave(self, mode: str, when: str | None = None, times: int | None = None,
                  retry_after: float | None = None, delay: float = 2.0) -> Misbehaviour:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        rule = Misbehaviour(mode, when, times, retry_after, delay)
        with self._lock:
            self._rules.append(rule)
        return rule

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()

    def _take(self, body: Any) -> Misbehaviour | None:
        prompt = json.dumps(body)
        with self._lock:
            for rule in self._rules:
                if rule.applies(prompt):
                    rule.hits += 1
                    return rule
        return None

    def generate_content(self, project: str, location: str, model: str) -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected "
                                                 "OAuth 2 access token.")
        if model not in MODELS:
            return error(404, "NOT_FOUND", f"Publisher Model `projects/{project}/locations/{location}/publishers/"
                                           f"google/models/{model}` not found.")
        body = request.get_json(silent=True)
        rule = self._take(body)
        if rule is not None and rule.mode == "quota":
            answer = error(429, "RESOURCE_EXHAUSTED", quota_message(model))
            if rule.retry_after is not None:
                answer.headers["Retry-After"] = f"{rule.retry_after:g}"
            return answer
        if rule is not None and rule.mode == "internal":
            return error(500, "INTERNAL", "Internal error encountered.")
        if rule is not None and rule.mode == "slow":
            time.sleep(rule.delay)
        try:
            return jsonify(generate(body, model, rule.mode if rule is not None else None))
        except RequestError as invalid:
            return error(400, "INVALID_ARGUMENT", str(invalid))


class GeminiBlueprint(Blueprint):
    fake: GeminiFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = GeminiFake(state)
    bp = GeminiBlueprint("gemini", __name__)
    bp.fake = fake
    bp.add_url_rule(f"/v1/projects/<project>/locations/<location>/publishers/google/models/<model>{METHOD}",
                    view_func=fake.generate_content, methods=["POST"])
    return bp


def gemini_fake(app: Flask) -> GeminiFake:
    bp = app.blueprints["gemini"]
    assert isinstance(bp, GeminiBlueprint)
    return bp.fake
