"""How the report writes numbers, money, shares, dates and ages: one place, so every section reads alike.

A missing value is an em dash, never `None` or `nan`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

MISSING = "—"


def number(value: Any) -> float | None:
    """A finite float from an int, float or Decimal (NUMERIC arrives as Decimal); None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | decimal.Decimal):
        result = float(value)
        return result if math.isfinite(result) else None
    return None


def money(value: Any) -> str:
    """US dollars: `$1,234` from 100 up, `$12.34` below (small amounts would otherwise all read `$0`)."""
    amount = number(value)
    if amount is None:
        return MISSING
    sign = "-" if amount < 0 else ""
    digits = 2 if abs(amount) < 100 else 0
    return f"{sign}${abs(amount):,.{digits}f}"


def money_range(low: Any, high: Any) -> str:
    """An interval of money with an en dash: `$11,200\u2013$13,500`."""
    return f"{money(low)}\u2013{money(high)}"


def money_short(value: float) -> str:
    """An axis tick: `$0`, `$850`, `$1.2k`, `$3.4M`."""
    amount = abs(value)
    sign = "-" if value < 0 else ""
    if amount >= 1_000_000:
        return f"{sign}${amount / 1_000_000:.1f}M"
    if amount >= 1_000:
        return f"{sign}${amount / 1_000:.1f}k".replace(".0k", "k")
    return f"{sign}${amount:.0f}"


def percent(value: Any, digits: int = 1) -> str:
    """A value already in percent (the views' `*_pct` columns): `87.5 %`."""
    pct = number(value)
    return MISSING if pct is None else f"{pct:,.{digits}f} %"


def share(value: Any, digits: int = 1) -> str:
    """A fraction 0-1 as a percent: 0.875 → `87.5 %`."""
    fraction = number(value)
    return MISSING if fraction is None else percent(fraction * 100, digits)


def change(value: Any, than: str) -> str:
    """A change in percent against `than`: `18.0 % above 2026-10`, `4.2 % below …`, `unchanged from …`."""
    pct = number(value)
    if pct is None:
        return f"no comparison with {than}"
    if round(pct, 1) == 0:
        return f"unchanged from {than}"
    return f"{percent(abs(pct))} {'above' if pct > 0 else 'below'} {than}"


def count(value: Any) -> str:
    """A whole number with thousands separators."""
    amount = number(value)
    return MISSING if amount is None else f"{round(amount):,}"


def score(value: Any) -> str:
    """A 0-100 score, one decimal."""
    amount = number(value)
    return MISSING if amount is None else f"{amount:.1f}"


def day(value: Any) -> str:
    """A date as ISO `2026-11-30` (a timestamp gives its UTC day)."""
    if isinstance(value, dt.datetime):
        value = _utc(value).date()
    return value.isoformat() if isinstance(value, dt.date) else MISSING


def moment(value: Any) -> str:
    """A timestamp as `2026-11-30 14:05 UTC`."""
    if not isinstance(value, dt.datetime):
        return day(value)
    return _utc(value).strftime("%Y-%m-%d %H:%M UTC")


def month(value: Any) -> str:
    """A month (its first day) as `2026-11`."""
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else MISSING


def seconds(value: Any) -> str:
    """A duration: `0.8 s`, `42 s`, `3 min 5 s`, `1 h 2 min`."""
    total = number(value)
    if total is None:
        return MISSING
    if total < 10:
        return f"{total:.1f} s"
    whole = round(total)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def age(minutes: Any) -> str:
    """How old something is, from minutes: `just now`, `12 min`, `5.5 h`, `3.2 d`."""
    total = number(minutes)
    if total is None:
        return MISSING
    if total < 1:
        return "just now"
    if total < 90:
        return f"{total:.0f} min"
    if total < 48 * 60:
        return f"{total / 60:.1f} h"
    return f"{total / 1440:.1f} d"


def plural(amount: int, word: str, many: str | None = None) -> str:
    """`1 account`, `3 accounts` (with thousands separators)."""
    return f"{amount:,} {word if amount == 1 else many or word + 's'}"


def listing(items: list[str], limit: int = 3) -> str:
    """`a`, `a and b`, `a, b and c`, `a, b, c and 2 more`."""
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
