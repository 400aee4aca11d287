"""The Google Sheets API v4 fake: `spreadsheets.values.get` over the usage key-mapping workbook.

A1 ranges (`Tab!A1:D10`, `Tab!A:D`, `'My tab'!A:C`, `Tab`), ROWS or COLUMNS major dimension, trailing empty
cells and rows dropped, `values` absent for an empty range, the echoed range normalised, Google's error body.
A bearer token is required; reads are limited to READS_PER_MINUTE (429 RESOURCE_EXHAUSTED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from sandbox.apis.cursor import MinuteLimit
from sandbox.state import SandboxState
from sandbox.usage_sheet import workbook

READS_PER_MINUTE = 60
GRID_ROWS, GRID_COLUMNS = 1000, 26
_CELL = re.compile(r"^([A-Z]*)(\d*)$")


def error(status: int, reason: str, message: str) -> Response:
    response = jsonify({"error": {"code": status, "message": message, "status": reason,
                                  "errors": [{"message": message, "domain": "global", "reason": reason}]}})
    response.status_code = status
    return response


def column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class A1Range:
    tab: str
    first_column: int
    last_column: int
    first_row: int
    last_row: int | None
    """None: to the end of the sheet's grid."""

    def echo(self, grid_rows: int) -> str:
        tab = f"'{self.tab}'" if re.search(r"[^A-Za-z0-9_]", self.tab) else self.tab
        return (f"{tab}!{column_letters(self.first_column)}{self.first_row}:"
                f"{column_letters(self.last_column)}{self.last_row or grid_rows}")


def parse_range(text: str, tabs: list[str]) -> A1Range | None:
    """The range in A1 notation, or None when it cannot be parsed against these tabs."""
    tab, _, cells = text.rpartition("!") if "!" in text else (text, "", "")
    if tab.startswith("'") and tab.endswith("'") and len(tab) > 1:
        tab = tab[1:-1].replace("''", "'")
    if tab not in tabs:
        return None
    if not cells:
        return A1Range(tab, 1, GRID_COLUMNS, 1, None)
    start, _, end = cells.upper().partition(":")
    first, last = _CELL.match(start), _CELL.match(end or start)
    if not first or not last or not (first.group(1) or first.group(2)):
        return None
    return A1Range(tab, column_number(first.group(1) or "A"), column_number(last.group(1)) or GRID_COLUMNS,
                   int(first.group(2) or 1), int(last.group(2)) if last.group(2) else None)


def trimmed(cells: list[str]) -> list[str]:
    cells = list(cells)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def cut(rows: list[list[str]], where: A1Range) -> list[list[str]]:
    """The cells inside the range, with trailing empty cells and rows dropped as the API does."""
    values = [trimmed([str(c) for c in row[where.first_column - 1:where.last_column]])
              for row in rows[where.first_row - 1:where.last_row]]
    while values and not values[-1]:
        values.pop()
    return values


def by_columns(values: list[list[str]]) -> list[list[str]]:
    width = max((len(r) for r in values), default=0)
    return [trimmed([r[i] if i < len(r) else "" for r in values]) for i in range(width)]


class SheetsFake:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.limit = MinuteLimit(per_minute=READS_PER_MINUTE)

    def guard(self) -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        if self.limit.retry_after() is not None:
            return error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'.")
        return None

    def values_get(self, spreadsheet_id: str, cell_range: str) -> Response:
        with self.state.lock:
            book = workbook(self.state.world)
        tabs = book.get(spreadsheet_id)
        if tabs is None:
            return error(404, "NOT_FOUND", "Requested entity was not found.")
        where = parse_range(cell_range, list(tabs))
        if where is None:
            return error(400, "INVALID_ARGUMENT", f"Unable to parse range: {cell_range}")
        rows = tabs[where.tab]
        values = cut(rows, where)
        dimension = request.args.get("majorDimension", "ROWS")
        if dimension == "COLUMNS":
            values = by_columns(values)
        body: dict[str, Any] = {"range": where.echo(max(GRID_ROWS, len(rows))), "majorDimension": dimension}
        if values:
            body["values"] = values
        return jsonify(body)


class SheetsBlueprint(Blueprint):
    fake: SheetsFake


def blueprint(state: SandboxState) -> Blueprint:
    fake = SheetsFake(state)
    bp = SheetsBlueprint("sheets", __name__, url_prefix="/v4/spreadsheets")
    bp.fake = fake
    bp.before_request(fake.guard)
    bp.add_url_rule("/<spreadsheet_id>/values/<path:cell_range>", view_func=fake.values_get, methods=["GET"])
    return bp


def sheets_fake(app: Flask) -> SheetsFake:
    bp = app.blueprints["sheets"]
    assert isinstance(bp, SheetsBlueprint)
    return bp.fake
