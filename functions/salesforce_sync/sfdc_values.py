"""Salesforce field values as typed Python values, whichever API delivered them.

The REST API sends JSON (numbers, booleans, datetimes as `2024-05-01T12:34:56.000+0000`); Bulk API 2.0 sends
CSV strings (`"41000.0"`, `"true"`, `2024-05-01T12:34:56.000Z`, empty for null). Both go through `typed`, keyed
by the field's `describe` type, so a record loads identically either way and a re-sync changes nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

SOQL_DATETIME = "%Y-%m-%dT%H:%M:%SZ"


def parse_datetime(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


def _integer(value: Any) -> int:
    return int(value) if isinstance(value, int) else int(decimal.Decimal(str(value)))


def _decimal(value: Any) -> decimal.Decimal:
    return decimal.Decimal(str(value))


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "datetime": lambda v: parse_datetime(str(v)),
    "date": lambda v: dt.date.fromisoformat(str(v)),
    "time": str,
    "boolean": _boolean,
    "int": _integer,
    "long": _integer,
    "currency": _decimal,
    "double": float,
    "percent": float,
}


def typed(value: Any, sf_type: str) -> Any:
    """`value` as the Python type of a Salesforce field type; None for null and for CSV's empty string."""
    if value is None or value == "":
        return None
    return _CONVERTERS.get(sf_type, str)(value)


def cursor_text(value: dt.datetime) -> str:
    """How a SystemModstamp cursor is stored in sync_state: ISO 8601, UTC, milliseconds."""
    value = value.astimezone(dt.UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def soql_datetime(value: dt.datetime) -> str:
    """A SOQL datetime literal (`2024-05-01T00:00:00Z`), rounded down to the second so no record is skipped."""
    return value.astimezone(dt.UTC).strftime(SOQL_DATETIME)
