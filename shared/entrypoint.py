"""The HTTP entry point every `functions/<job>/main.py` delegates to.

Order matters: the request is checked before anything touches the warehouse, so a refused request writes
nothing and always gets a JSON answer: 404 for any path but `/`, 405 (`Allow: POST`) for any method but POST,
413 for a body over MAX_BODY_BYTES, 400 for a body that cannot be parsed or validated (whatever the exception).
A valid request opens a run in `etl_runs`, calls the job with its context, closes the run and answers
`{"run_id", "status", "counts", "errors", "pending"}` plus the job's own `JobResult.answer` fields (never over
those): 200 for success or partial, 500 for failed so that Cloud Scheduler's retry policy applies. `counts` has
the keys the job's spec declares, 0 for those it did not report.
`pending` lists the scopes that stopped at the time budget (the clock starts when the request arrives) and resume
from their checkpoint next run.
A job that can check part of a request only once it runs (a mailbox against a directory it reads) raises
RequestFieldError: the run closes `failed` with that error and the answer is 400 naming the field, as for a body
the model refused.
A run that finds another run of its function holding it (see RunLedger.start) does nothing: its ledger row
closes `skipped` and it answers 409 with `held_by`, the holder's run id (Cloud Scheduler retries it later).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from shared.budget import TimeBudget, unlimited
from shared.ledger import JobResult, Run, RunLedger
from shared.log import bind_run, configure_logging, get_logger
from shared.params import clean_text
from shared.settings import CommonSettings
from shared.warehouse import Warehouse, connect

log = get_logger(__name__)
P = TypeVar("P", bound=BaseModel)
S = TypeVar("S", bound=CommonSettings)
Answer = tuple[str, int, dict[str, str]]
MAX_BODY_BYTES = 64 * 1024
"""The largest request body read; the largest legitimate one is well under 1 KiB."""


class RequestFieldError(ValueError):
    """A request field the job found invalid once it ran (the answer is 400 naming `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class JobParams(BaseModel):
    """Base of every request body model: unknown fields are errors, values are immutable, and types are exact
    (strict: `true`, `1.0` or `"1"` is not an integer, `1` or `"yes"` not a boolean, as lax mode would read
    them); no string may hold a control character or a lone surrogate (shared.params.clean_text)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        return clean_text(value)


@dataclass
class JobContext(Generic[S]):
    run: Run
    settings: S
    warehouse: Warehouse
    ledger: RunLedger
    clients: Any = None
    budget: TimeBudget = field(default_factory=unlimited)
    """Checked after every committed batch (`budget.checkpoint()` inside a result scope)."""

    @property
    def run_id(self) -> str:
        return self.run.run_id


@dataclass(frozen=True)
class JobSpec(Generic[P, S]):
    name: str
    source_system: str
    params_model: type[P]
    settings_model: type[S]
    run: Callable[[P, JobContext[S]], JobResult]
    make_clients: Callable[[S], Any] | None = None
    count_keys: tuple[str, ...] = ()
    """The keys of every answer's `counts` (each table the job writes, and its documented counters)."""
    exclusive: Callable[[P], bool] = lambda _params: True
    """Whether a run with these params holds the function while it runs (False for a read-only request)."""

    def shape_counts(self, counts: dict[str, int]) -> dict[str, int]:
        """`counts` with every declared key (0 where missing); an undeclared key is kept, and logged as an error."""
        if not self.count_keys:
            return dict(counts)
        shaped = {key: counts.get(key, 0) for key in self.count_keys}
        undeclared = sorted(set(counts) - set(self.count_keys))
        if undeclared:
            log.error("counts not declared by the job spec: %s", ", ".join(undeclared))
            shaped.update((key, counts[key]) for key in undeclared)
        return shaped


@dataclass
class _Runtime:
    settings: Any
    warehouse: Warehouse
    clients: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_runtimes: dict[str, _Runtime] = {}
_runtimes_lock = threading.Lock()


def runtime(spec: JobSpec[Any, Any]) -> _Runtime:
    """Settings, warehouse and clients of a job, built once per process (lazy globals)."""
    with _runtimes_lock:
        if spec.name not in _runtimes:
            settings = spec.settings_model.load()
            configure_logging(settings.log_level)
            warehouse = connect(settings.warehouse)
            if settings.schema_on_start:
                warehouse.ensure_schema()
            _runtimes[spec.name] = _Runtime(settings, warehouse)
        return _runtimes[spec.name]


def reset_runtimes() -> None:
    """Forget cached settings, warehouses and clients (tests change the environment between cases)."""
    with _runtimes_lock:
        for rt in _runtimes.values():
            rt.warehouse.close()
        _runtimes.clear()


def _answer(body: dict[str, Any], status: int, **headers: str) -> Answer:
    return json.dumps(body, default=str), status, {"Content-Type": "application/json", **headers}


def _refusal(error: str, status: int, **headers: str) -> Answer:
    return _answer({"error": error, "field": None}, status, **headers)


def route_refusal(request: Any) -> Answer | None:
    """Only `POST /` runs the job (Cloud Functions serves the function at `/`)."""
    if request.path != "/":
        return _refusal("not found: the function is served at / only", 404)
    if request.method != "POST":
        return _refusal(f"method {request.method} not allowed: POST a JSON object to /", 405, Allow="POST")
    return None


def read_body(request: Any) -> bytes | Answer:
    """The body, at most MAX_BODY_BYTES (by Content-Length, and by the bytes actually read), else the 413."""
    too_large = _refusal(f"request body larger than {MAX_BODY_BYTES} bytes", 413)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return too_large
    raw: bytes = request.stream.read(MAX_BODY_BYTES + 1)
    return too_large if len(raw) > MAX_BODY_BYTES else raw


def _payload(raw: bytes) -> Any | Answer:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _refusal(f"request body is not valid JSON: {exc}", 400)
    except Exception as exc:  # RecursionError (deep nesting), ValueError (a number of thousands of digits), ...
        log.warning("request body could not be parsed: %s: %s", type(exc).__name__, str(exc)[:200])
        return _refusal(f"request body could not be parsed as JSON ({type(exc).__name__})", 400)


def parse_params(raw: bytes, model: type[P]) -> P | Answer:
    """The validated params, or the 400 answer that names the offending field."""
    payload = _payload(raw)
    if isinstance(payload, tuple):
        return payload
    if not isinstance(payload, dict):
        return _refusal("request body must be a JSON object", 400)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        return _answer({"error": f"{where}: {message}" if where else message, "field": where}, 400)
    except Exception:
        log.exception("request body could not be validated")
        return _refusal("request body could not be validated", 400)


def _trigger(headers: Any) -> str:
    return "scheduler" if headers.get("X-CloudScheduler") == "true" else "http"


def handle(request: Any, spec: JobSpec[P, S]) -> Answer:
    """Serve one HTTP request for `spec` (a Flask request, as functions-framework passes it)."""
    configure_logging()
    arrived = time.monotonic()
    with bind_run(function=spec.name):
        parsed = _checked_params(request, spec.params_model)
    if not isinstance(parsed, BaseModel):
        log.warning("rejected request: %s", json.loads(parsed[0])["error"],
                    extra={"function": spec.name, "http_status": parsed[1], "method": request.method})
        return parsed
    try:
        rt = _ready_runtime(spec)
    except Exception as exc:  # settings, warehouse or client construction: nothing to run with
        log.exception("cannot start %s", spec.name, extra={"function": spec.name})
        return _answer({"error": f"configuration error: {type(exc).__name__}: {exc}"[:2000], "field": None}, 500)
    ledger = RunLedger(rt.warehouse)
    run = ledger.start(spec.name, spec.source_system, parsed.model_dump(mode="json"), _trigger(request.headers),
                       rt.settings.function_timeout_seconds, spec.exclusive(parsed))
    budget = TimeBudget(rt.settings.time_budget, started=arrived)
    with bind_run(run_id=run.run_id, function=spec.name):
        if run.held_by:
            return _skip(spec, run, ledger)
        return _execute(spec, parsed, JobContext(run, rt.settings, rt.warehouse, ledger, rt.clients, budget))


def _checked_params(request: Any, model: type[P]) -> P | Answer:
    raw = route_refusal(request) or read_body(request)
    return raw if isinstance(raw, tuple) else parse_params(raw, model)


def _ready_runtime(spec: JobSpec[Any, Any]) -> _Runtime:
    rt = runtime(spec)
    if spec.make_clients and rt.clients is None:
        with rt.lock:
            rt.clients = rt.clients or spec.make_clients(rt.settings)
    return rt


def _skip(spec: JobSpec[Any, Any], run: Run, ledger: RunLedger) -> Answer:
    message = f"skipped: run {run.held_by} of {spec.name} is still running; this run did nothing"
    log.warning(message, extra={"held_by": run.held_by, "status": "skipped"})
    counts = spec.shape_counts({})
    ledger.finish(run, JobResult(counts), status="skipped", error_message=message)
    return _answer({"run_id": run.run_id, "status": "skipped", "held_by": run.held_by, "counts": counts,
                    "errors": {}, "pending": []}, 409)


def _execute(spec: JobSpec[P, S], params: P, ctx: JobContext[S]) -> Answer:
    log.info("run started", extra={"params": params.model_dump(mode="json")})
    try:
        result = spec.run(params, ctx)
        result.counts = spec.shape_counts(result.counts)
        status = ctx.ledger.finish(ctx.run, result)
        error = None
    except RequestFieldError as refused:
        log.warning("refused request: %s", refused, extra={"field": refused.field, "http_status": 400})
        ctx.ledger.finish(ctx.run, JobResult(spec.shape_counts({})), status="failed", error_message=str(refused))
        return _answer({"error": str(refused), "field": refused.field, "run_id": ctx.run_id, "status": "failed"},
                       400)
    except Exception as exc:
        log.exception("run failed")
        result, error = JobResult(spec.shape_counts({})), f"{type(exc).__name__}: {exc}"
        status = ctx.ledger.finish(ctx.run, result, status="failed", error_message=error)
    errors = result.errors or ({"run": error} if error else {})
    log.info("run finished", extra={"status": status, "counts": result.counts, "errors": errors,
                                    "pending": result.pending})
    body = {**result.answer, "run_id": ctx.run_id, "status": status, "counts": result.counts, "errors": errors,
            "pending": result.pending}
    return _answer(body, 500 if status == "failed" else 200)
