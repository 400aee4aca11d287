"""Request-body field types that every function's params model shares.

From a JSON body, dates and datetimes are accepted only as ISO strings, within `EARLIEST_DATE` .. now (UTC).
Pydantic's lax mode would otherwise read a JSON number, or a string of digits, as seconds since 1970, and accept
years 1 to 9999, which the jobs then turn into tens of thousands of request windows or arithmetic that overflows.
Python callers may pass `date`/`datetime` objects (JSON never yields one); the same range applies.

No string in a request may hold a control character (NUL and the other C0 controls but tab, newline and carriage
return, or DEL) or a lone UTF-16 surrogate (JSON's "\\ud800", which no UTF-8 encoder accepts): DuckDB, BigQuery
parameters, the source APIs and the JSON log would each treat them differently, or fail after the run has started.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

EARLIEST_DATE = dt.date(2000, 1, 1)
"""The floor of every date in a request: before any source this suite reads kept data."""
EARLIEST = dt.datetime.combine(EARLIEST_DATE, dt.time(), dt.UTC)
DATE_ALLOWED = f"an ISO date string YYYY-MM-DD from {EARLIEST_DATE} to today (UTC)"
DATETIME_ALLOWED = (f"an ISO date or datetime string (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.ffffff]], UTC unless it "
                    f"ends in Z or ±HH:MM) from {EARLIEST_DATE}T00:00:00Z to now")
TEXT_ALLOWED = "text without control characters (NUL, C0 other than tab/newline, DEL) or lone surrogates"
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _refused(allowed: str) -> PydanticCustomError:
    return PydanticCustomError("iso_range", "must be {allowed}", {"allowed": allowed})


def clean_text(value: Any) -> Any:
    """`value` unchanged unless it is, or a list or dict holds, a string with a character TEXT_ALLOWED excludes."""
    if isinstance(value, str) and _UNPRINTABLE.search(value):
        raise _refused(TEXT_ALLOWED)
    if isinstance(value, list | tuple):
        for item in value:
            clean_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            clean_text(key)
            clean_text(item)
    return value


def iso_date(value: Any) -> dt.date:
    """A `YYYY-MM-DD` string between EARLIEST_DATE and today (UTC), as a date."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise _refused(DATE_ALLOWED) from None
    else:
        raise _refused(DATE_ALLOWED)
    if not EARLIEST_DATE <= day <= utcnow().date():
        raise _refused(DATE_ALLOWED)
    return day


def iso_datetime(value: Any) -> dt.datetime:
    """An ISO date or datetime string between EARLIEST and now, as an aware UTC datetime (naive means UTC)."""
    if not isinstance(value, dt.datetime) and not (isinstance(value, str) and _DATETIME.fullmatch(value)):
        raise _refused(DATETIME_ALLOWED)
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that pushes year 1 or 9999 off the calendar
        raise _refused(DATETIME_ALLOWED) from None
    if not EARLIEST <= moment <= utcnow():
        raise _refused(DATETIME_ALLOWED)
    return moment


IsoDate = Annotated[dt.date, BeforeValidator(iso_date)]
IsoDateTime = Annotated[dt.datetime, BeforeValidator(iso_datetime)]
