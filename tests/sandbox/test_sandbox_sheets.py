"""The Sheets API fake, read with google-api-python-client the way usage-collect reads it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from sandbox import Sandbox
from sandbox.apis.sheets import parse_range
from sandbox.usage_sheet import MAPPING_TAB, SPREADSHEET_ID
from sandbox.world import build_world
from shared.google_http import SessionHttp

ANCHOR = datetime(2026, 5, 4, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as running:
        yield running


def values_api(sandbox: Sandbox, token: str | None = "sandbox-token") -> Any:
    credentials = Credentials(token=token) if token else None
    service = build("sheets", "v4", http=SessionHttp(sandbox.session(), credentials), static_discovery=True,
                    client_options={"api_endpoint": sandbox.https_url + "/"})
    return service.spreadsheets().values()


def test_the_mapping_tab_is_the_world_sheet_with_a_valid_from_column_for_handovers(sandbox: Sandbox) -> None:
    body = values_api(sandbox).get(spreadsheetId=SPREADSHEET_ID, range=f"{MAPPING_TAB}!A:E").execute()
    values = body["values"]
    handed = next(k for k in sandbox.world.api_keys if k.handover_date)
    rows = [row for row in values if row[0] == handed.name]

    assert body["range"] == "Mapping!A1:E1000" and body["majorDimension"] == "ROWS"
    assert values[0] == [*sandbox.world.key_mapping_sheet[0], "valid_from"]
    assert [(r[1], r[4] if len(r) > 4 else "") for r in rows] == [
        (handed.previous_owner_email, ""), (handed.owner_email, handed.handover_date.isoformat())]
    assert len(values) == len(sandbox.world.key_mapping_sheet) + 1
    assert all(len(row) <= 4 for row in values[1:] if row[0] != handed.name)


def test_a_bounded_range_is_cut_and_trailing_empty_cells_are_dropped(sandbox: Sandbox) -> None:
    body = values_api(sandbox).get(spreadsheetId=SPREADSHEET_ID, range="Mapping!B2:C3").execute()
    world = sandbox.world.key_mapping_sheet
    assert body["values"] == [world[1][1:3], world[2][1:3]]


def test_columns_major_dimension_transposes(sandbox: Sandbox) -> None:
    body = values_api(sandbox).get(spreadsheetId=SPREADSHEET_ID, range="People!A1:C3",
                                   majorDimension="COLUMNS").execute()
    assert body["values"][0][0] == "user_email" and len(body["values"]) == 3


@pytest.mark.parametrize(("spreadsheet", "cell_range", "status"), [
    (SPREADSHEET_ID, "Nowhere!A:B", 400),
    ("unknown-sheet", "Mapping!A:B", 404),
])
def test_bad_ranges_and_unknown_spreadsheets_are_google_errors(sandbox: Sandbox, spreadsheet: str,
                                                               cell_range: str, status: int) -> None:
    with pytest.raises(HttpError) as failure:
        values_api(sandbox).get(spreadsheetId=spreadsheet, range=cell_range).execute()
    assert failure.value.resp.status == status


def test_a_request_without_a_token_is_unauthenticated(sandbox: Sandbox) -> None:
    with pytest.raises(HttpError) as failure:
        values_api(sandbox, token=None).get(spreadsheetId=SPREADSHEET_ID, range="Mapping!A:B").execute()
    assert failure.value.resp.status == 401


@pytest.mark.parametrize(("text", "parsed"), [
    ("Mapping", ("Mapping", 1, 26, 1, None)),
    ("Mapping!A:E", ("Mapping", 1, 5, 1, None)),
    ("Mapping!B2:D10", ("Mapping", 2, 4, 2, 10)),
    ("'My tab'!A1:C", ("My tab", 1, 3, 1, None)),
    ("Other!A:E", None),
    ("Mapping!:", None),
])
def test_a1_ranges(text: str, parsed: tuple[Any, ...] | None) -> None:
    result = parse_range(text, ["Mapping", "My tab"])
    got = None if result is None else (result.tab, result.first_column, result.last_column, result.first_row,
                                        result.last_row)
    assert got == parsed
