"""The Salesforce fake: REST query/queryAll paged by nextRecordsUrl, sObject describe, getDeleted
(`salesforce_deleted`), Bulk API 2.0 query jobs (`salesforce_bulk`) and the OAuth token endpoint
(`salesforce_auth`), over the world's records.

Everything under /services/data needs a live bearer session: any non-empty token the org did not expire
(`salesforce_org(state).expire_sessions()` makes issued ones answer 401 INVALID_SESSION_ID).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.apis import salesforce_auth, soql, soql_run
from sandbox.apis.salesforce_bulk import BulkQueryApi
from sandbox.apis.salesforce_deleted import GetDeletedApi
from sandbox.apis.salesforce_describe import describe
from sandbox.apis.salesforce_org import SalesforceOrg, salesforce_org
from sandbox.state import SandboxState
from sandbox.world_schema import OBJECT_BY_PREFIX, RELATIONSHIP_TARGETS, SF_FIELDS, SfRecord, is_deleted

API_DAILY_LIMIT = 15_000
DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
_VERSION = re.compile(r"v\d+\.\d+")
_KEPT_CURSORS = 200


def format_value(value: Any) -> Any:
    """Salesforce's wire format: datetimes as `2024-05-01T12:34:56.000+0000`, ISO dates, the rest as is."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}+0000"
    if isinstance(value, date):
        return value.isoformat()
    return value


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    """Salesforce errors are a JSON array of {message, errorCode}."""
    return jsonify([{"message": message, "errorCode": code}]), status


class _Cursors:
    """Query locators: each holds a snapshot of the rendered rows, like a server-side cursor."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: OrderedDict[str, tuple[list[dict[str, Any]], int]] = OrderedDict()
        self._numbers = itertools.count(1)

    def open(self, rows: list[dict[str, Any]], batch: int) -> str:
        with self._lock:
            locator = f"01gSB{next(self._numbers):010d}AAQ"
            self._rows[locator] = (rows, batch)
            while len(self._rows) > _KEPT_CURSORS:
                self._rows.popitem(last=False)
            return locator

    def get(self, locator: str) -> tuple[list[dict[str, Any]], int] | None:
        with self._lock:
            return self._rows.get(locator)


class _Renderer:
    """Projects records onto the selected fields, nesting relationship fields as the API does."""

    def __init__(self, state: SandboxState, version: str) -> None:
        self.state, self.version = state, version

    def attributes(self, object_type: str, record_id: str) -> dict[str, str]:
        url = f"/services/data/{self.version}/sobjects/{object_type}/{record_id}"
        return {"type": object_type, "url": url}

    def related(self, record: SfRecord, relation: str) -> SfRecord | None:
        target_id = record.get(f"{relation}Id")
        return self.state.world.find_any(target_id) if target_id else None

    def value(self, record: SfRecord, field: str) -> Any:
        if "." not in field:
            return record.get(field)
        relation, _, target_field = field.partition(".")
        target = self.related(record, relation)
        return target.get(target_field) if target else None

    def row(self, object_type: str, record: SfRecord, fields: tuple[str, ...]) -> dict[str, Any]:
        row: dict[str, Any] = {"attributes": self.attributes(object_type, record["Id"])}
        for field in fields:
            if "." not in field:
                row[field] = format_value(record.get(field))
                continue
            relation, _, target_field = field.partition(".")
            target = self.related(record, relation)
            if target is None:
                row.setdefault(relation, None)
                continue
            nested = row.get(relation) or {"attributes": self.attributes(OBJECT_BY_PREFIX[target["Id"][:3]],
                                                                         target["Id"])}
            nested[target_field] = format_value(target.get(target_field))
            row[relation] = nested
        return row


def batch_size(options: str | None) -> int:
    """`Sforce-Query-Options: batchSize=N` is a hint between 200 and 2000."""
    match = re.search(r"batchSize\s*=\s*(\d+)", options or "")
    return min(max(int(match.group(1)), MIN_BATCH), MAX_BATCH) if match else DEFAULT_BATCH


def authenticate(org: SalesforceOrg) -> tuple[Response, int] | None:
    """A live bearer session is required; the API version must look like `v59.0`."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not org.session_is_live(token):
        return error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    if not _VERSION.fullmatch((request.view_args or {}).get("version", "")):
        return error(404, "NOT_FOUND", "The requested resource does not exist")
    return None


class _QueryApi:
    """GET query/ and queryAll/ (first page) and their nextRecordsUrl follow-ups."""

    def __init__(self, state: SandboxState, org: SalesforceOrg) -> None:
        self.state, self.org = state, org
        self.cursors = _Cursors()

    def first_page(self, version: str, endpoint: str) -> Response | tuple[Response, int]:
        text = request.args.get("q", "")
        if not text.strip():
            return error(400, "MALFORMED_QUERY", "A query string has to be specified")
        try:
            parsed = soql.bind(soql.parse(text), self.org.schema(), RELATIONSHIP_TARGETS)
        except soql.SoqlError as failure:
            return error(400, failure.code, failure.message)
        renderer = _Renderer(self.state, version)
        with self.state.lock:
            records = self.state.world.records(parsed.object_type)
            visible = (r for r in records if endpoint == "queryAll" or not is_deleted(r))
            selected = soql_run.run(parsed, visible, renderer.value)
            if parsed.count:
                return jsonify({"totalSize": len(selected), "done": True, "records": []})
            rows = [renderer.row(parsed.object_type, record, parsed.fields) for record in selected]
        batch = batch_size(request.headers.get("Sforce-Query-Options"))
        return self.page(rows, 0, batch, f"/services/data/{version}/{endpoint}", None)

    def next_page(self, version: str, endpoint: str, locator: str) -> Response | tuple[Response, int]:
        cursor_id, _, offset = locator.rpartition("-")
        found = self.cursors.get(cursor_id)
        if found is None or not offset.isdigit():
            return error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        rows, batch = found
        return self.page(rows, int(offset), batch, f"/services/data/{version}/{endpoint}", cursor_id)

    def page(self, rows: list[dict[str, Any]], offset: int, batch: int, base: str,
             cursor_id: str | None) -> Response:
        body: dict[str, Any] = {"totalSize": len(rows), "done": offset + batch >= len(rows)}
        if not body["done"]:
            body["nextRecordsUrl"] = f"{base}/{cursor_id or self.cursors.open(rows, batch)}-{offset + batch}"
        body["records"] = rows[offset:offset + batch]
        return jsonify(body)


def _describe_view(org: SalesforceOrg) -> Any:
    def view(version: str, object_type: str) -> Response | tuple[Response, int]:
        if object_type not in SF_FIELDS:
            return error(404, "NOT_FOUND", "The requested resource does not exist")
        return jsonify(describe(org, object_type, version))

    return view


def _data_blueprint(state: SandboxState, org: SalesforceOrg) -> Blueprint:
    bp = Blueprint("data", __name__, url_prefix="/data")
    api = _QueryApi(state, org)
    calls = itertools.count(1)
    bp.before_request(lambda: authenticate(org))

    @bp.after_request
    def limit_info(response: Response) -> Response:
        response.headers["Sforce-Limit-Info"] = f"api-usage={next(calls)}/{API_DAILY_LIMIT}"
        return response

    endpoint = "<any(query, queryAll):endpoint>"
    bp.add_url_rule(f"/<version>/{endpoint}/", view_func=api.first_page)
    bp.add_url_rule(f"/<version>/{endpoint}/<locator>", view_func=api.next_page)
    bp.add_url_rule("/<version>/sobjects/<object_type>/describe/", view_func=_describe_view(org),
                    endpoint="describe", strict_slashes=False)
    BulkQueryApi(state, org).register(bp)
    GetDeletedApi(state, org).register(bp)
    return bp


def blueprint(state: SandboxState) -> Blueprint:
    org = salesforce_org(state)
    bp = Blueprint("salesforce", __name__, url_prefix="/services")
    bp.register_blueprint(_data_blueprint(state, org))
    bp.register_blueprint(salesforce_auth.blueprint(state))
    return bp
