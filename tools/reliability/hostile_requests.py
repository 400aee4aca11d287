"""hostile_requests: every function's real HTTP entry point fed a battery of hostile requests, raw bytes and headers.

Each request must get its documented answer (shared/entrypoint.py): 400 naming the offending field where there is
one (None where the body cannot be read as a JSON object), 413 over MAX_BODY_BYTES, 405 (`Allow: POST`) for another
method, 404 for another path; always a JSON object with `error` and `field`, never a traceback. And nothing may
be written: every table's row count (the ledger's included) is unchanged and no request reached the sandbox.

The per-field values come from the function's own params model (its JobSpec, read from its main module), so a
field added later is attacked too, and a field of a type this module has no values for fails the scenario.

Free-text fields (ACCEPTED_FREE_TEXT) legitimately accept SQL-looking strings: those requests are sent after the
valid run and must succeed, change no data table, and find nothing where the value filters (an account id such
as `" or 1=1 --` matches no account: it travelled as a query parameter, not as SQL).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import sys
import types
import typing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from functions_framework import create_app
from pydantic import BaseModel

from shared import entrypoint
from shared.sqlfiles import table_files
from shared.warehouse import connect
from tools.reliability.compare import LEDGER_TABLES
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.stage import Stage, environment

SQL_STRINGS = ("'; drop table etl_run_log; --", '" or 1=1 --', "`etl_run_log`; delete from `etl_run_log`",
               "' union select * from etl_run_log --", "1; select * from information_schema.tables",
               "@run_id", "$1", "?", "%s%s", "{0}{__class__}")
CONTROL_STRINGS = ("\u0000", "full\u0000", "a\u0007b", "\u001b[2J", "\ud800", "\u007f")
LONG_TEXT = "x" * 60_000
"""Under MAX_BODY_BYTES, over every field's length limit."""
ACCEPTED_FREE_TEXT: dict[str, tuple[str, ...]] = {
    "generate-embeddings": ("query", "account_id"),
    "account-scoring": ("account_ids",),
}
"""Fields whose values are free text (a search query, account ids): a SQL-looking string is a legitimate value."""
CONTEXT: dict[tuple[str, str], dict[str, Any]] = {
    ("gmail-sync", "since"): {"sync_type": "full"},
    ("dialpad-sync", "started_after"): {"sync_type": "full"},
    ("generate-embeddings", "k"): {"query": "renewal budget"},
    ("generate-embeddings", "account_id"): {"query": "renewal budget"},
    ("generate-embeddings", "since"): {"query": "renewal budget"},
}
"""The other fields a field is only valid with, so that its 400 is for its value and not for its company."""
JSON_VALUES: tuple[Any, ...] = (1, 1.5, True, "text", [], {}, None)


@dataclass(frozen=True)
class Raw:
    """A JSON token sent as is (NaN, a 5000-digit number, invalid UTF-8), where json.dumps cannot write it."""

    token: bytes


@dataclass(frozen=True)
class Hostile:
    label: str
    data: bytes = b"{}"
    status: int = 400
    field: str | None = None
    method: str = "POST"
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    streamed: bool = False
    """Sent chunked, without Content-Length (behind gunicorn, as Cloud Functions serves it)."""
    framework: bool = False
    """Answered by functions-framework or Werkzeug before the function (not JSON): only the status is checked."""


@dataclass(frozen=True)
class FieldShape:
    name: str
    kind: str
    """text, choice, date, datetime, int, bool or list"""
    optional: bool
    item: str | None = None
    """The kind of a list's items."""


def shape(name: str, annotation: Any) -> FieldShape:
    """What a params field holds, from its annotation; TypeError for a type this battery has no values for."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"{name}: no hostile values for {annotation!r}")
        found = shape(name, inner[0])
        return FieldShape(name, found.kind, type(None) in args, found.item)
    if origin is typing.Annotated:
        return shape(name, args[0])
    if origin is Literal:
        return FieldShape(name, "choice", None in args)
    if origin is list:
        return FieldShape(name, "list", False, shape(name, args[0]).kind)
    for python, kind in ((bool, "bool"), (int, "int"), (dt.datetime, "datetime"), (dt.date, "date"), (str, "text")):
        if annotation is python:
            return FieldShape(name, kind, False)
    raise TypeError(f"{name}: no hostile values for {annotation!r}")


def _wrong_types(field: FieldShape) -> list[Any]:
    right: dict[str, Any] = {"text": lambda v: isinstance(v, str), "list": lambda v: isinstance(v, list),
                             "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
                             "bool": lambda v: isinstance(v, bool)}
    fits = right.get(field.kind, lambda v: False)
    return [v for v in JSON_VALUES if not fits(v) and not (v is None and field.optional)]


def _dates(kind: str) -> list[Any]:
    now = dt.datetime.now(dt.UTC)
    common: list[Any] = [0, 1_700_000_000, "1700000000", "yesterday", "now()", "2026-01-05Z", " 2026-01-05"]
    if kind == "date":
        return [*common, "0000-01-01", "0001-01-01", "1900-01-01", "1999-12-31", "9999-12-31", "2026-02-30",
                "2026-13-01", "2026-1-5", "20260105", "2026-01-05T00:00:00", (now + dt.timedelta(days=1)).date()
                .isoformat(), "\uff12\uff10\uff12\uff16-01-05", "2026-01-05'; drop table etl_run_log; --"]
    return [*common, "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "1900-01-01T00:00:00Z", "1999-12-31",
            "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z", "2026-01-15T25:00:00Z", "2026-01-15T08:00:00+24:00",
            (now + dt.timedelta(hours=1)).isoformat(), "2026-01-05T00:00:00Z'; drop table etl_run_log; --"]


def _limits(kind: str) -> list[Any]:
    if kind == "bool":
        return ["true", "false", 1, 0, "yes", "on", Raw(b"NaN")]
    return [-1, 0, -0.0, 10**18, 10**400, 1.5, 10.0, True, False, "10", "1e3", Raw(b"NaN"), Raw(b"Infinity"),
            Raw(b"-Infinity"), Raw(b"1e2"), Raw(b"9" * 5000)]


def _texts(function: str, field: FieldShape) -> list[Any]:
    values: list[Any] = [*CONTROL_STRINGS, LONG_TEXT, Raw(b'"\xff\xfe"')]
    if field.name not in ACCEPTED_FREE_TEXT.get(function, ()):
        values += SQL_STRINGS
    return values


def _values(function: str, field: FieldShape) -> list[Any]:
    """Every hostile value of one field."""
    values = _wrong_types(field)
    if field.kind in ("text", "choice", "date", "datetime"):
        values += _texts(function, field)
    if field.kind == "choice":
        values += ["FULL", " all", "\uff46\uff55\uff4c\uff4c", "incremental,full"]
    if field.kind in ("date", "datetime"):
        values += _dates(field.kind)
    if field.kind in ("int", "bool"):
        values += _limits(field.kind)
    if field.kind == "list":
        item = FieldShape(field.name, field.item or "text", False)
        values += [[], ["x"] * 5000, *([v] for v in _wrong_types(item) if v != []), *([v] for v in _texts(
            function, item) if not isinstance(v, Raw)), [Raw(b'"\xff"')]]
    return values


def encode(body: dict[str, Any]) -> bytes:
    """`body` as JSON bytes, Raw tokens (also inside lists) written as they are."""
    raws: list[bytes] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.token)
            return f"\u0001raw{len(raws) - 1}\u0001"
        return [mark(v) for v in value] if isinstance(value, list) else value

    text = json.dumps({k: mark(v) for k, v in body.items()}).encode()
    for number, token in enumerate(raws):
        text = text.replace(json.dumps(f"\u0001raw{number}\u0001").encode(), token)
    return text


def _unreadable(value: Any) -> bool:
    """The body cannot be parsed at all (no field to name): invalid UTF-8, or a number Python will not read."""
    tokens = value if isinstance(value, list) else [value]
    return any(isinstance(t, Raw) and (t.token.startswith(b'"\xff') or len(t.token) > 4300) for t in tokens)


def field_requests(function: str, model: type[BaseModel]) -> list[Hostile]:
    found = []
    for name, info in model.model_fields.items():
        field = shape(name, info.annotation)
        context = CONTEXT.get((function, name), {})
        for value in _values(function, field):
            found.append(Hostile(f"{name}={_short(value)}", encode({**context, name: value}),
                                 field=None if _unreadable(value) else name))
    return found


def _short(value: Any) -> str:
    text = repr(value.token[:20]) if isinstance(value, Raw) else encode({"v": value}).decode(errors="replace")[6:-1]
    return text if len(text) <= 40 else f"{text[:37]}..."


def general_requests(model: type[BaseModel]) -> list[Hostile]:
    """What any function refuses whatever its fields: not JSON, not an object, unknown fields, too deep or large,
    another method or path, odd headers."""
    first = next(iter(model.model_fields))
    too_large = entrypoint.MAX_BODY_BYTES
    unknown = ["unknown", first.upper(), f"{first} ", "'; drop table etl_run_log; --", "__class__", "model_config",
               "a\u0000b"]
    json_type = "application/json"
    return [
        *(Hostile(f"not json {data[:16]!r}", data) for data in (
            b"{not json", b"drop table etl_run_log", b"{'single': 'quotes'}", b'{"a": 1,}', b"\xff\xfe\xfd",
            b"\x00", b'{}\x00', b"{}{}", b"[" * 30_000 + b"]" * 30_000,
            b'{"a":' * 10_000 + b"1" + b"}" * 10_000, b'{"' + first.encode() + b'": ' + b"9" * 5000 + b"}")),
        *(Hostile(f"not an object {data[:16]!r}", data) for data in (
            b"[]", b"[{}]", b'"full"', b"1", b"-1.5", b"null", b"true", b"1e999", b"NaN")),
        *(Hostile(f"unknown field {name!r}", encode({name: 1}), field=name) for name in unknown),
        Hostile("over the limit", b"{}" + b" " * too_large, 413),
        Hostile("over the limit, chunked", b"{}" + b" " * (3 * too_large), 413, streamed=True),
        Hostile("over the limit in a field", encode({first: "x" * too_large}), 413),
        Hostile("deep and over the limit", b"[" * 100_000 + b"]" * 100_000, 413),
        *(Hostile(f"{method} /", b"{}", 405, method=method) for method in (
            "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")),
        *(Hostile(f"{method} {path}", b"{}", 404, method=method, path=path) for method, path in (
            ("POST", "/anything"), ("POST", "/admin/run"), ("DELETE", "/etl_run_log"), ("POST", "/%2e%2e/"))),
        *(Hostile(f"GET {path}", b"{}", 404, method="GET", path=path, framework=True) for path in (
            "/favicon.ico", "/robots.txt")),
        Hostile("POST // (redirected to /, not followed)", b"[]", 308, path="//", framework=True),
        Hostile("scheduler header, array body", b"[]", headers=(("X-CloudScheduler", "true"),)),
        Hostile("text/plain, broken body", b"{broken", headers=(("Content-Type", "text/plain"),)),
        Hostile("form-encoded body", first.encode() + b"=x",
                headers=(("Content-Type", "application/x-www-form-urlencoded"),)),
        Hostile("multipart body", b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--b--\r\n',
                headers=(("Content-Type", "multipart/form-data; boundary=b"),)),
        Hostile("gzip-encoded body", gzip.compress(b"{}"), headers=(("Content-Encoding", "gzip"),
                                                                    ("Content-Type", json_type))),
    ]


def hostile_requests_for(function: str, model: type[BaseModel]) -> list[Hostile]:
    return [*general_requests(model), *field_requests(function, model)]


def accepted_requests(function: str) -> list[dict[str, Any]]:
    """Bodies whose SQL-looking free text is legitimate: each must run, harmlessly."""
    if function == "generate-embeddings":
        return [{"query": text, "account_id": text} for text in SQL_STRINGS]
    if function == "account-scoring":
        return [{"account_ids": list(SQL_STRINGS)}]
    return []


def spec_of(stage: Stage) -> tuple[Any, entrypoint.JobSpec[Any, Any]]:
    """A test client of the function's app and the JobSpec its main module serves."""
    app = create_app(stage.entry.target, str(stage.entry.source))
    module = sys.modules[stage.entry.source.stem]
    if getattr(module, "__file__", None) != str(stage.entry.source.resolve()):
        raise RuntimeError(f"{stage.entry.source.stem} is not {stage.entry.source}")
    return app.test_client(), module.SPEC


def send(client: Any, hostile: Hostile) -> tuple[int, Any, str, Any]:
    """(status, JSON body or None, raw text, headers) of one hostile request."""
    headers = {"Content-Type": "application/json", **dict(hostile.headers)}
    if hostile.streamed:
        response = client.open(hostile.path, method=hostile.method, input_stream=io.BytesIO(hostile.data),
                               headers={**headers, "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
    else:
        response = client.open(hostile.path, method=hostile.method, data=hostile.data, headers=headers)
    text = response.get_data(as_text=True)
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    return response.status_code, body, text, response.headers


def judged(hostile: Hostile, answer: tuple[int, Any, str, Any]) -> str | None:
    """None when the answer is the documented one, else what was wrong (with the status and body)."""
    status, body, text, headers = answer
    wrong = []
    if status != hostile.status:
        wrong.append(f"status {status}, expected {hostile.status}")
    if hostile.framework:
        return f"{hostile.label}: {wrong[0]} (HTTP {status} {text[:200]})" if wrong else None
    if headers.get("Content-Type") != "application/json":
        wrong.append(f"Content-Type {headers.get('Content-Type')}")
    if hostile.status == 405 and headers.get("Allow") != "POST":
        wrong.append(f"Allow {headers.get('Allow')}")
    if hostile.method != "HEAD":
        if not isinstance(body, dict) or not body.get("error") or "field" not in body:
            wrong.append("not a JSON object with error and field")
        elif not _names(body["field"], hostile.field):
            wrong.append(f"field {body['field']!r}, expected {hostile.field!r}")
        if "Traceback" in text:
            wrong.append("a traceback in the answer")
    return f"{hostile.label}: {'; '.join(wrong)} (HTTP {status} {text[:200]})" if wrong else None


def _names(found: Any, expected: str | None) -> bool:
    if expected is None:
        return found is None
    return isinstance(found, str) and (found == expected or found.startswith(f"{expected}."))


def row_counts(stage: Stage) -> dict[str, int]:
    """Every table's row count, the ledger's included."""
    warehouse = connect(stage.url)
    try:
        return {name: int(warehouse.query(f"select count(*) as n from {name}")[0]["n"]) for name in table_files()}
    finally:
        warehouse.close()


def _changed(before: dict[str, int], after: dict[str, int], skip: frozenset[str] = frozenset()) -> dict[str, str]:
    return {t: f"{before.get(t)} -> {after.get(t)}" for t in sorted(set(before) | set(after))
            if t not in skip and before.get(t) != after.get(t)}


def refusals(stage: Stage, client: Any, battery: list[Hostile]) -> Iterator[str]:
    """Each refused request's failure, then whatever was written or requested from the sandbox."""
    before = row_counts(stage)
    stage.sandbox.log.clear()
    with environment(stage.settings()):
        for hostile in battery:
            failure = judged(hostile, send(client, hostile))
            if failure:
                yield failure
    written = _changed(before, row_counts(stage))
    if written:
        yield f"rows written by refused requests: {written}"
    requested = stage.sandbox.log.all()
    if requested:
        yield f"{len(requested)} request(s) reached the sandbox, first {requested[0]}"


def acceptances(stage: Stage, client: Any, bodies: list[dict[str, Any]]) -> Iterator[str]:
    """Each free-text request must succeed and change no data table; where it filters, it finds nothing."""
    before, runs_before = row_counts(stage), _runs(stage)
    with environment(stage.settings()):
        for body in bodies:
            status, answer, text, _ = send(client, Hostile("accepted", encode(body), 200))
            if status != 200 or not isinstance(answer, dict) or answer.get("status") != "success":
                yield f"accepted {body}: HTTP {status} {text[:200]}"
            elif answer.get("results") or answer["counts"].get("account_recommendations"):
                yield f"accepted {body}: found rows for a value that names none: {text[:200]}"
    after = row_counts(stage)
    written = _changed(before, after, LEDGER_TABLES)
    if written:
        yield f"rows written by accepted free text: {written}"
    recorded = _runs(stage) - runs_before
    if recorded != len(bodies):
        yield f"{len(bodies)} accepted requests, {recorded} runs recorded"


def _runs(stage: Stage) -> int:
    """Runs in the ledger (etl_run_log is append-only: a run's start and its end are two rows)."""
    return int(stage.query("select count(distinct run_id) as n from etl_run_log")[0]["n"])


def hostile_requests(stage: Stage) -> Played:
    stage.fresh_instance()
    client, spec = spec_of(stage)
    function = stage.entry.cloud_name
    battery = hostile_requests_for(function, spec.params_model)
    notes = list(refusals(stage, client, battery))
    answers = Counter(h.status for h in battery)
    summary = ", ".join(f"{n}x{status}" for status, n in sorted(answers.items()))
    stage.fresh_instance()
    valid = stage.invoke()
    if valid[0] != 200 or valid[1].get("status") != "success":
        notes.append(f"the valid run after them: HTTP {valid[0]} {valid[1]}")
    bodies = accepted_requests(function)
    notes.extend(acceptances(stage, client, bodies))
    survived = not notes
    free = ACCEPTED_FREE_TEXT.get(function)
    notes.insert(0, f"{len(battery)} hostile requests ({summary}): "
                    + ("all answered as documented, nothing written, no source called" if survived else "FAILURES"))
    if free:
        notes.insert(1, f"SQL-looking free text accepted in {', '.join(free)}: {len(bodies)} run(s), no data row "
                        f"changed, nothing matched")
    return Played(True, survived, notes)


HOSTILE_REQUEST_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hostile_requests", "non-JSON, arrays, unknown fields, wrong types, SQL-looking strings, absurd dates "
             "and limits, NUL and invalid UTF-8, deep or oversized bodies, other methods and paths: each refused "
             "(400 naming the field, 413, 405, 404) with nothing written and no source called; free text that "
             "looks like SQL runs harmlessly", hostile_requests),
)
