"""GET /services/data/vXX.X/sobjects/{Object}/deleted/?start=…&end=…: the records deleted in a time window.

As Salesforce answers it: `start` and `end` are ISO 8601 datetimes (a `+hh:mm` offset must arrive encoded as
`%2B`, else it reads as a space and the date is malformed), their seconds are ignored, `start` must precede
`end` by at least a minute and lie within the last 30 days (else 400 INVALID_REPLICATION_DATE). The reply lists
the soft-deleted records (recycle bin, deletedDate = SystemModstamp) and the hard-deleted ones of the org's delete
log whose deletedDate falls in the window and is not older than `earliestDateAvailable` (the log keeps about
15 days, none before the recycle bin was last emptied); `latestDateCovered` is the window's end, never past now.
User is not deletable and has no getDeleted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, jsonify, request

from sandbox.apis.salesforce_org import SalesforceOrg
from sandbox.state import SandboxState
from sandbox.world_schema import SF_FIELDS, SfRecord, is_deleted

MAX_REACH = timedelta(days=30)
Answer = Response | tuple[Response, int]


def _error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify([{"message": message, "errorCode": code}]), status


def _wire(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%S}.000+0000"


def _minute(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def _parse(name: str) -> datetime | None:
    text = request.args.get(name, "")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


class GetDeletedApi:
    def __init__(self, state: SandboxState, org: SalesforceOrg) -> None:
        self.state, self.org = state, org

    def view(self, version: str, object_type: str) -> Answer:
        if object_type not in SF_FIELDS:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        if "IsDeleted" not in SF_FIELDS[object_type]:
            return _error(400, "INVALID_TYPE", f"entity type {object_type} does not support getDeleted")
        start, end = _parse("start"), _parse("end")
        if start is None or end is None:
            return _error(400, "MALFORMED_QUERY", "start and end must be ISO 8601 date-times with a time zone")
        now = self.org.clock().astimezone(UTC)
        start, end = _minute(start), _minute(min(end, now))
        if start >= end:
            return _error(400, "INVALID_REPLICATION_DATE", "startDate must be at least one minute before endDate")
        if start < now - MAX_REACH:
            return _error(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
        earliest = _minute(self.org.earliest_date_available())
        found: list[tuple[str, datetime]] = [(r["Id"], r["SystemModstamp"]) for r in self.soft_deleted(object_type)]
        with self.org.lock:
            found += [(d.record_id, d.deleted_at) for d in self.org.delete_log if d.object_type == object_type]
        listed = sorted((at, record_id) for record_id, at in found if max(start, earliest) <= at < end)
        return jsonify({"deletedRecords": [{"id": record_id, "deletedDate": _wire(at)} for at, record_id in listed],
                        "earliestDateAvailable": _wire(earliest), "latestDateCovered": _wire(end)})

    def soft_deleted(self, object_type: str) -> list[SfRecord]:
        with self.state.lock:
            return [r for r in self.state.world.records(object_type) if is_deleted(r)]

    def register(self, bp: Blueprint) -> None:
        bp.add_url_rule("/<version>/sobjects/<object_type>/deleted/", view_func=self.view, endpoint="get_deleted",
                        strict_slashes=False)
