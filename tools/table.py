"""Query results as text: an aligned table, one block per row (vertical), or JSON.

NULL prints as `NULL` and an empty string as `''`, so the two never look alike; arrays and structs print as
JSON. In a table, a cell longer than `max_width` is cut with `…` (0: never cut) and line breaks show as `\\n`.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "vertical", "json")
NULL = "NULL"
EMPTY = "''"


def _json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return NULL
    if value == "" and isinstance(value, str):
        return EMPTY
    if isinstance(value, list | dict):
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    return str(value)


def _cell(value: Any, width: int) -> str:
    text = _text(value).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return text if width <= 0 or len(text) <= width else text[: width - 1] + "…"


def _count(rows: Sequence[object]) -> str:
    return f"({len(rows)} row{'s' if len(rows) != 1 else ''})"


def render(rows: Sequence[dict[str, Any]], max_width: int = 40) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[_cell(row.get(c), max_width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, rule, *body, _count(rows)])


def render_vertical(rows: Sequence[dict[str, Any]]) -> str:
    """Each row as `column | value` lines, values in full (a multi-line value continues indented)."""
    if not rows:
        return "(no rows)"
    width = max(len(c) for c in rows[0])
    blocks = []
    for number, row in enumerate(rows, 1):
        lines = [f"-[ row {number} ]" + "-" * max(0, width - 6)]
        for column, value in row.items():
            text = _text(value).replace("\n", "\n" + " " * (width + 3))
            lines.append(f"{column.ljust(width)} | {text}")
        blocks.append("\n".join(lines))
    return "\n".join([*blocks, _count(rows)])


def render_json(rows: Sequence[dict[str, Any]]) -> str:
    """A JSON array with one object per line: NULL is null, NUMERIC a string (as `bq --format=json` gives it)."""
    lines = [json.dumps(row, default=_json_value, ensure_ascii=False) for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def format_rows(rows: Sequence[dict[str, Any]], output: str = "table", max_width: int = 40) -> str:
    if output == "json":
        return render_json(rows)
    if output == "vertical":
        return render_vertical(rows)
    return render(rows, max_width)
