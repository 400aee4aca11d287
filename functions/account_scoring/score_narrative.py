"""The optional narrative: one Gemini `generateContent` call per top account, over the shared HTTP session.

Off by default (SCORING_NARRATIVE). Scores, actions and template reasons are computed before and never depend on
it: `narrate` only returns text per account, or why there is none. The prompt is the account's facts as compact
JSON of at most MAX_FACTS_CHARS characters (the features in key order as far as they fit), under a fixed
instruction to use only those facts. The reply must be JSON `{"summary", "next_step"}` (enforced by
`responseSchema` and validated again here), within length limits, citing no number absent from the facts. 429 and
5xx are retried by the session's policy (Retry-After honoured; the SDK's own retry stays off); a timeout, a
refusal, a SAFETY or MAX_TOKENS finish or an invalid reply puts the account in `failures`, never raises.
"""

from __future__ import annotations

import contextvars
import json
import math
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import google.auth
import google.auth.exceptions
import httpx2
import pydantic
import requests
from google.genai import errors, types
from pydantic import BaseModel, ConfigDict, Field

from shared.budget import TimeBudget
from shared.http import HttpPolicy, make_session
from shared.httpx_bridge import session_client
from shared.log import get_logger
from shared.vertex import VertexSettings, vertex_target

log = get_logger(__name__)

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
SOURCE = "gemini"
MAX_FACTS_CHARS = 4_000
MAX_REASONS = 5
MAX_TEXT_CHARS = 300
MAX_SUMMARY_CHARS = 400
MAX_NEXT_STEP_CHARS = 180
MAX_OUTPUT_TOKENS = 1_024
THREADS = 4
NO_THINKING_MODELS = ("gemini-2.5-flash", "gemini-2.5-flash-lite")
"""Models whose thinking can be switched off (thinkingBudget 0): a two-sentence summary needs none."""
INSTRUCTION = (
    "You brief a sales rep on one account in plain language. Use only the facts in the JSON the user sends; do "
    "not invent numbers, names, dates or events, and cite no number that is not in the facts. Answer with JSON: "
    "summary (at most two sentences, under 400 characters: why the account matters now) and next_step (one "
    "sentence, under 180 characters, consistent with recommended_action).")
RESPONSE_SCHEMA = types.Schema(
    type=types.Type.OBJECT, required=["summary", "next_step"], property_ordering=["summary", "next_step"],
    properties={"summary": types.Schema(type=types.Type.STRING),
                "next_step": types.Schema(type=types.Type.STRING)})
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


class NarrativeSettings(VertexSettings):
    """The narrative's settings; account-scoring's settings class inherits them (the Vertex ones share their
    names with generate-embeddings', so one environment configures both)."""

    scoring_narrative: bool = Field(False, description="add a Gemini narrative to the top accounts' reasons")
    scoring_narrative_model: str = Field("gemini-2.5-flash", description="Gemini model on Vertex AI")
    scoring_narrative_accounts: int = Field(
        50, ge=1, le=500, description="top accounts by priority_score that get a narrative per run")
    scoring_narrative_timeout_s: float = Field(
        20.0, gt=0, le=300, description="read timeout of one generateContent request, in seconds")


@dataclass
class NarrativeOutcome:
    narratives: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


class NarrativeReply(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: str = Field(min_length=1, max_length=MAX_SUMMARY_CHARS)
    next_step: str = Field(min_length=1, max_length=MAX_NEXT_STEP_CHARS)

    @property
    def text(self) -> str:
        return f"{self.summary} Next step: {self.next_step}"


class NarrativeError(Exception):
    """One account's narrative failed; the message says why (no prompt text, no secrets)."""


def narrative_policy(settings: NarrativeSettings, **overrides: Any) -> HttpPolicy:
    return HttpPolicy.from_settings(settings, source=SOURCE,
                                    **{"read_timeout": settings.scoring_narrative_timeout_s, **overrides})


def _scalar(value: Any) -> Any:
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 3) if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int):
        return value
    text = _compact(value) if isinstance(value, Mapping | list | tuple) else str(value)
    return text[:MAX_TEXT_CHARS]


def _compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str)


def facts(row: Mapping[str, Any]) -> str:
    """The account's facts as compact JSON of at most MAX_FACTS_CHARS characters: the scores, the first reasons
    (dropped from the end while the rest alone is too long) and the features in key order as far as they fit."""
    document: dict[str, Any] = {
        "account_name": _scalar(row.get("account_name")),
        **{key: _scalar(row.get(key)) for key in ("priority_score", "budget_likelihood", "engagement_score",
                                                  "recommended_action")},
        "reasons": [_scalar(str(reason)) for reason in list(row.get("reasons") or [])[:MAX_REASONS]],
        "features": {},
    }
    room = MAX_FACTS_CHARS - len(_compact(document))
    while room < 0 and document["reasons"]:
        document["reasons"].pop()
        room = MAX_FACTS_CHARS - len(_compact(document))
    for key, value in sorted((row.get("features") or {}).items()):
        kept = _scalar(value)
        cost = len(_compact({str(key): kept})) - 2 + (1 if document["features"] else 0)
        if cost > room:
            break
        document["features"][str(key)] = kept
        room -= cost
    return _compact(document)


def _numbers(text: str) -> set[Decimal]:
    found = set()
    for match in _NUMBER.finditer(text):
        try:
            found.add(Decimal(match.group().replace(",", "")).normalize())
        except InvalidOperation:
            continue
    return found


def validate(reply_text: str, facts_text: str) -> NarrativeReply:
    try:
        reply = NarrativeReply.model_validate_json(reply_text)
    except pydantic.ValidationError as exc:
        problem = exc.errors()[0]
        if problem["type"] == "json_invalid":
            raise NarrativeError("reply is not valid JSON") from exc
        where = ".".join(str(part) for part in problem["loc"]) or "reply"
        raise NarrativeError(f"reply does not match the schema: {where}: {problem['msg']}") from exc
    invented = _numbers(reply.text) - _numbers(facts_text)
    if invented:
        cited = ", ".join(format(number, "f") for number in sorted(invented))
        raise NarrativeError(f"reply cites numbers absent from the facts: {cited}")
    return reply


def _config(model: str) -> types.GenerateContentConfig:
    thinking = types.ThinkingConfig(thinking_budget=0) if model in NO_THINKING_MODELS else None
    return types.GenerateContentConfig(
        system_instruction=INSTRUCTION, response_mime_type="application/json", response_schema=RESPONSE_SCHEMA,
        temperature=0.2, max_output_tokens=MAX_OUTPUT_TOKENS, candidate_count=1, thinking_config=thinking)


class Narrator:
    def __init__(self, settings: NarrativeSettings, session: requests.Session | None = None) -> None:
        self.model = settings.scoring_narrative_model
        try:
            target = vertex_target(settings, "SCORING_NARRATIVE")
        except ValueError as exc:
            raise NarrativeError(str(exc)) from exc
        self._http = session_client(session or make_session(narrative_policy(settings)))
        self.client = target.client(self._http, timeout_ms=round(settings.scoring_narrative_timeout_s * 1000))
        self.config = _config(self.model)

    def close(self) -> None:
        self._http.close()

    def narrate_one(self, row: Mapping[str, Any]) -> str:
        facts_text = facts(row)
        try:
            response = self.client.models.generate_content(
                model=self.model, contents=types.Content(role="user", parts=[types.Part(text=facts_text)]),
                config=self.config)
        except errors.APIError as exc:
            raise NarrativeError(f"Vertex AI answered {exc.code} {exc.status}") from exc
        except httpx2.TimeoutException as exc:
            raise NarrativeError("Vertex AI did not answer within the timeout") from exc
        except httpx2.TransportError as exc:
            raise NarrativeError(f"Vertex AI unreachable: {type(exc).__name__}") from exc
        except google.auth.exceptions.GoogleAuthError as exc:
            raise NarrativeError("Vertex AI credentials could not be refreshed") from exc
        except (errors.UnknownApiResponseError, pydantic.ValidationError) as exc:
            raise NarrativeError("Vertex AI sent a response that is not a GenerateContentResponse") from exc
        return validate(_reply_text(response), facts_text).text


def _reply_text(response: types.GenerateContentResponse) -> str:
    if not response.candidates:
        feedback = response.prompt_feedback
        reason = feedback.block_reason.value if feedback and feedback.block_reason else "no candidates"
        raise NarrativeError(f"prompt blocked: {reason}")
    candidate = response.candidates[0]
    finish = candidate.finish_reason.value if candidate.finish_reason else "STOP"
    if finish != "STOP":
        raise NarrativeError(f"generation stopped: finishReason {finish}")
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    text = "".join(part.text for part in parts if part.text and not part.thought)
    if not text:
        raise NarrativeError("reply has no text")
    return text


def top_rows(rows: Sequence[Mapping[str, Any]], count: int) -> list[Mapping[str, Any]]:
    """The `count` rows with the highest priority_score (ties by account_id): deterministic whatever the order."""
    return sorted(rows, key=lambda r: (-float(r.get("priority_score") or 0), str(r["account_id"])))[:count]


def narrate(rows: Sequence[Mapping[str, Any]], settings: NarrativeSettings, session: requests.Session | None = None,
            *, budget: TimeBudget | None = None) -> NarrativeOutcome:
    """Narratives for the top SCORING_NARRATIVE_ACCOUNTS rows, in at most THREADS concurrent requests. Nothing is
    sent when SCORING_NARRATIVE is off. An account whose request would start after `budget` is spent fails with
    that reason. A failure is logged once per account (id and reason) and never raised."""
    outcome = NarrativeOutcome()
    chosen = top_rows(rows, settings.scoring_narrative_accounts) if settings.scoring_narrative else []
    if not chosen:
        return outcome
    try:
        narrator = Narrator(settings, session)
    except (NarrativeError, google.auth.exceptions.GoogleAuthError) as exc:
        results: list[tuple[str | None, str | None]] = [(None, f"not configured: {exc}")] * len(chosen)
    else:
        results = _run(narrator, chosen, budget)
    for row, (text, why) in zip(chosen, results, strict=True):
        account_id = str(row["account_id"])
        if text is not None:
            outcome.narratives[account_id] = text
        else:
            outcome.failures[account_id] = why or "unknown"
            log.warning("no narrative for account %s: %s", account_id, why,
                        extra={"source": SOURCE, "account_id": account_id})
    return outcome


def _run(narrator: Narrator, chosen: list[Mapping[str, Any]], budget: TimeBudget | None
         ) -> list[tuple[str | None, str | None]]:
    def one(row: Mapping[str, Any]) -> tuple[str | None, str | None]:
        if budget is not None and budget.exhausted:
            return None, "time budget spent before the request"
        try:
            return narrator.narrate_one(row), None
        except NarrativeError as failure:
            return None, str(failure)

    contexts = [contextvars.copy_context() for _ in chosen]  # the run's log fields, in every worker thread
    try:
        with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="narrative") as pool:
            return list(pool.map(lambda ctx, row: ctx.run(one, row), contexts, chosen))
    finally:
        narrator.close()
