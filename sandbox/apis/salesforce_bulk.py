"""Bulk API 2.0 query jobs: POST /jobs/query, GET /jobs/query/{id}, GET /jobs/query/{id}/results, PATCH, DELETE.

A job snapshots the rows its SOQL selects when it is created, answers `UploadComplete`, then `InProgress` for
`SalesforceOrg.polls_until_complete` status polls, then `JobComplete`. Results are CSV (header row, every value
quoted, nulls empty, datetimes `…T…:…:….000Z`) in sets of `maxRecords`; `Sforce-NumberOfRecords` counts the set
and `Sforce-Locator` names the next one (base64 of its offset, as Salesforce's look) or is the literal `null`.
Results before completion answer 412 JOB_NOT_COMPLETE; another API version than the job's answers 409.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, jsonify, request

from sandbox.apis import soql, soql_run
from sandbox.apis.salesforce_org import INTEGRATION_USER_ID, BulkJob, SalesforceOrg
from sandbox.state import SandboxState
from sandbox.world_schema import RELATIONSHIP_TARGETS, is_deleted

DEFAULT_MAX_RECORDS = 50_000
_DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")
Answer = Response | tuple[Response, int]


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify([{"errorCode": code, "message": message}]), status


def csv_value(value: Any) -> str:
    """A value as Bulk API 2.0 writes it in CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class BulkQueryApi:
    def __init__(self, state: SandboxState, org: SalesforceOrg) -> None:
        self.state, self.org = state, org

    def create(self, version: str) -> Answer:
        body = request.get_json(silent=True) or {}
        operation, text = body.get("operation"), body.get("query") or ""
        if operation not in ("query", "queryAll"):
            return error(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        if body.get("columnDelimiter", "COMMA") not in _DELIMITERS or \
                body.get("lineEnding", "LF") not in _LINE_ENDINGS:
            return error(400, "INVALIDJOB", "InvalidJob : columnDelimiter or lineEnding is not supported")
        try:
            parsed = soql.bind(soql.parse(text), self.org.schema(), RELATIONSHIP_TARGETS)
        except soql.SoqlError as failure:
            return error(400, failure.code, failure.message)
        if parsed.count or any("." in name for name in parsed.fields):
            return error(400, "INVALIDJOB", "InvalidJob : Aggregate and relationship queries are not supported")
        job_id = self.org.new_job_id()
        info = self._info(job_id, operation, parsed.object_type, version, body)
        with self.state.lock:
            records = self.state.world.records(parsed.object_type)
            visible = (r for r in records if operation == "queryAll" or not is_deleted(r))
            rows = [[csv_value(r.get(f)) for f in parsed.fields] for r in soql_run.run(parsed, visible)]
        with self.org.lock:
            self.org.jobs[job_id] = BulkJob(info, list(parsed.fields), rows)
        return jsonify(info)

    def _info(self, job_id: str, operation: str, object_type: str, version: str,
              body: dict[str, Any]) -> dict[str, Any]:
        now = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}.000+0000"
        return {
            "id": job_id, "operation": operation, "object": object_type, "createdById": INTEGRATION_USER_ID,
            "createdDate": now, "systemModstamp": now, "state": "UploadComplete", "concurrencyMode": "Parallel",
            "contentType": "CSV", "apiVersion": float(version.lstrip("v")),
            "lineEnding": body.get("lineEnding", "LF"), "columnDelimiter": body.get("columnDelimiter", "COMMA"),
        }

    def job(self, version: str, job_id: str) -> Answer:
        with self.org.lock:
            found = self.org.jobs.get(job_id)
            if found is None:
                return error(404, "NOT_FOUND", "The requested resource does not exist")
            if found.info["state"] in ("UploadComplete", "InProgress"):
                found.polls += 1
                done = found.polls > self.org.polls_until_complete
                found.info.update(state="JobComplete" if done else "InProgress")
            if found.info["state"] == "JobComplete":
                found.info.update(numberRecordsProcessed=len(found.rows), retries=0, totalProcessingTime=250)
            return jsonify(found.info)

    def results(self, version: str, job_id: str) -> Answer:
        with self.org.lock:
            found = self.org.jobs.get(job_id)
        if found is None:
            return error(404, "NOT_FOUND", "The requested resource does not exist")
        if float(version.lstrip("v")) != found.info["apiVersion"]:
            return error(409, "API_VERSION_MISMATCH", "Use the API version the job was created with")
        if found.info["state"] != "JobComplete":
            status = _SNAKE.sub("_", found.info["state"]).upper()
            return error(412, "JOB_NOT_COMPLETE", "can only download query results of successfully completed "
                                                  f"bulk job with status: JOB_COMPLETE. Current status: {status}")
        offset = _offset(request.args.get("locator", "")) if request.args.get("locator") else 0
        size = request.args.get("maxRecords", str(DEFAULT_MAX_RECORDS))
        if offset is None or not size.isdigit() or int(size) < 1:
            return error(400, "INVALIDLOCATOR", "Invalid locator or maxRecords")
        return self._csv_page(found, offset, int(size))

    def _csv_page(self, job: BulkJob, offset: int, size: int) -> Response:
        page = job.rows[offset:offset + size]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=_DELIMITERS[job.info["columnDelimiter"]], quoting=csv.QUOTE_ALL,
                            lineterminator=_LINE_ENDINGS[job.info["lineEnding"]])
        writer.writerow(job.header)
        writer.writerows(page)
        following = offset + size
        response = Response(buffer.getvalue(), content_type="text/csv; charset=UTF-8")
        response.headers["Sforce-NumberOfRecords"] = str(len(page))
        response.headers["Sforce-Locator"] = _locator(following) if following < len(job.rows) else "null"
        return response

    def change(self, version: str, job_id: str) -> Answer:
        state = (request.get_json(silent=True) or {}).get("state")
        with self.org.lock:
            found = self.org.jobs.get(job_id)
            if found is None:
                return error(404, "NOT_FOUND", "The requested resource does not exist")
            if state != "Aborted":
                return error(400, "INVALIDJOB", f"InvalidJob : Invalid state: {state}")
            found.info["state"] = "Aborted"
            return jsonify(found.info)

    def delete(self, version: str, job_id: str) -> Answer:
        with self.org.lock:
            if self.org.jobs.pop(job_id, None) is None:
                return error(404, "NOT_FOUND", "The requested resource does not exist")
        return Response(status=204)

    def register(self, bp: Any) -> None:
        base = "/<version>/jobs/query"
        bp.add_url_rule(base, view_func=self.create, methods=["POST"], endpoint="bulk_create")
        bp.add_url_rule(f"{base}/<job_id>", view_func=self.job, methods=["GET"], endpoint="bulk_job")
        bp.add_url_rule(f"{base}/<job_id>", view_func=self.change, methods=["PATCH"], endpoint="bulk_change")
        bp.add_url_rule(f"{base}/<job_id>", view_func=self.delete, methods=["DELETE"], endpoint="bulk_delete")
        bp.add_url_rule(f"{base}/<job_id>/results", view_func=self.results, endpoint="bulk_results")
