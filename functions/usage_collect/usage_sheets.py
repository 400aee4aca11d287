"""The key-mapping sheet (and an optional people tab), read with google-api-python-client.

The first row of each range is the header; columns are found by name, so their order does not matter and
extra columns are ignored. Mapping columns: api_key_name, user_email (required), description, platform,
valid_from (optional). People columns: user_email (required), name, team.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from google.auth.credentials import Credentials

from shared.google_http import SessionHttp

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
MAPPING_COLUMNS = ("api_key_name", "user_email", "description", "platform", "valid_from")
PEOPLE_COLUMNS = ("user_email", "name", "team")
_FIRST_ROW = re.compile(r"![A-Za-z]*(\d+)")


class SheetLayoutError(ValueError):
    """The header row lacks a required column."""


@dataclass(frozen=True)
class SheetRow:
    row_number: int
    """The row's number in the sheet (1 = the sheet's first row), so people can find it."""
    cells: dict[str, str]
    raw: list[str]


def parse_rows(values: list[list[Any]], first_row: int, columns: tuple[str, ...],
               required: tuple[str, ...]) -> Iterator[SheetRow]:
    """Rows under the header as {column: text} (absent cells ''), blank rows skipped."""
    if not values:
        return
    header = [str(cell).strip().lower() for cell in values[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise SheetLayoutError(f"the sheet's header row lacks column(s) {missing}; it has {header}")
    where = {name: header.index(name) for name in columns if name in header}
    for offset, row in enumerate(values[1:], start=1):
        raw = [str(cell) for cell in row]
        if not any(cell.strip() for cell in raw):
            continue
        cells = {name: raw[index] if index < len(raw) else "" for name, index in where.items()}
        yield SheetRow(first_row + offset, {name: cells.get(name, "") for name in columns}, raw)


def sheets_service(session: requests.Session, base_url: str, credentials: Credentials | None) -> Any:
    from googleapiclient.discovery import build

    return build("sheets", "v4", http=SessionHttp(session, credentials), static_discovery=True,
                 client_options={"api_endpoint": base_url + "/"})


class SheetsReader:
    def __init__(self, service: Any) -> None:
        self.service = service

    def read(self, spreadsheet_id: str, cell_range: str) -> tuple[list[list[Any]], int]:
        """The range's values (rows) and the sheet row number of its first row."""
        body = self.service.spreadsheets().values().get(
            spreadsheetId=spreadsheet_id, range=cell_range, majorDimension="ROWS",
            valueRenderOption="FORMATTED_VALUE").execute()
        if not isinstance(body, dict):  # the Google client hands back a body that is not JSON as a string
            raise SheetLayoutError(f"sheets answered {cell_range} with a body that is not a JSON object")
        match = _FIRST_ROW.search(str(body.get("range", "")))
        return list(body.get("values") or []), int(match.group(1)) if match else 1
