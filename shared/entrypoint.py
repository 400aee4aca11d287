"""The HTTP entry point every `functions/<job>/main.py` delegates to.

Order matters: the body is parsed and validated before anything touches the warehouse, so a bad
request (HTTP 400) writes nothing. A valid request opens a run in `etl_runs`, calls the job with its
context, closes the run and answers `{"run_id", "status", "counts", "errors", "pending"}`: 200 for success or
partial, 500 for failed so that Cloud Scheduler's retry policy applies. `pending` lists the scopes that stopped
at the time budget (the clock starts when the request arrives) and resume from their checkpoint next run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.budget import TimeBudget, unlimited
from shared.ledger import JobResult, Run, RunLedger
from shared.log import bind_run, configure_logging, get_logger
from shared.settings import CommonSettings
from shared.warehouse import Warehouse, connect

log = get_logger(__name__)
P = TypeVar("P", bound=BaseModel)
S = TypeVar("S", bound=CommonSettings)
Answer = tuple[str, int, dict[str, str]]


class JobParams(BaseModel):
    """Base of every request body model: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


def _answer(body: dict[str, Any], status: int) -> Answer:
    return json.dumps(body, default=str), status, {"Content-Type": "application/json"}


def parse_params(raw: bytes, model: type[P]) -> P | Answer:
    """The validated params, or the 400 answer that names the offending field."""
    if not raw.strip():
        payload: Any = {}
    else:
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _answer({"error": f"request body is not valid JSON: {exc}", "field": None}, 400)
    if not isinstance(payload, dict):
        return _answer({"error": "request body must be a JSON object", "field": None}, 400)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        return _answer({"error": f"{where}: {message}" if where else message, "field": where}, 400)


def _trigger(headers: Any) -> str:
    return "scheduler" if headers.get("X-CloudScheduler") == "true" else "http"


def handle(request: Any, spec: JobSpec[P, S]) -> Answer:
    """Serve one HTTP request for `spec` (a Flask request, as functions-framework passes it)."""
    configure_logging()
    arrived = time.monotonic()
    parsed = parse_params(request.get_data(), spec.params_model)
    if not isinstance(parsed, BaseModel):
        log.warning("rejected request: %s", json.loads(parsed[0])["error"], extra={"function": spec.name})
        return parsed
    try:
        rt = _ready_runtime(spec)
    except Exception as exc:  # settings, warehouse or client construction: nothing to run with
        log.exception("cannot start %s", spec.name, extra={"function": spec.name})
        return _answer({"error": f"configuration error: {type(exc).__name__}: {exc}"[:2000], "field": None}, 500)
    ledger = RunLedger(rt.warehouse)
    run = ledger.start(spec.name, spec.source_system, parsed.model_dump(mode="json"), _trigger(request.headers),
                       rt.settings.function_timeout_seconds)
    budget = TimeBudget(rt.settings.time_budget, started=arrived)
    with bind_run(run_id=run.run_id, function=spec.name):
        return _execute(spec, parsed, JobContext(run, rt.settings, rt.warehouse, ledger, rt.clients, budget))


def _ready_runtime(spec: JobSpec[Any, Any]) -> _Runtime:
    rt = runtime(spec)
    if spec.make_clients and rt.clients is None:
        with rt.lock:
            rt.clients = rt.clients or spec.make_clients(rt.settings)
    return rt


def _execute(spec: JobSpec[P, S], params: P, ctx: JobContext[S]) -> Answer:
    log.info("run started", extra={"params": params.model_dump(mode="json")})
    try:
        result = spec.run(params, ctx)
        status = ctx.ledger.finish(ctx.run, result)
        error = None
    except Exception as exc:
        log.exception("run failed")
        result, error = JobResult(), f"{type(exc).__name__}: {exc}"
        status = ctx.ledger.finish(ctx.run, result, status="failed", error_message=error)
    errors = result.errors or ({"run": error} if error else {})
    log.info("run finished", extra={"status": status, "counts": result.counts, "errors": errors,
                                    "pending": result.pending})
    body = {"run_id": ctx.run_id, "status": status, "counts": result.counts, "errors": errors,
            "pending": result.pending}
    return _answer(body, 500 if status == "failed" else 200)
