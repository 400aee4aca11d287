"""The key-mapping sheet read when Sheets answers with a body that is not JSON: the Google client hands such a body
back as a string, which the reader refuses by name instead of failing later with an AttributeError."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sandbox.env import FAKE_TOKEN, settings_env
from sandbox.server import Sandbox
from sandbox.usage_sheet import MAPPING_TAB
from shared.http import HttpPolicy, make_session

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "usage_collect"))

from google.oauth2.credentials import Credentials
from usage_sheets import SheetLayoutError, SheetsReader, sheets_service

SHEETS = "/v4/spreadsheets"
RANGE = f"{MAPPING_TAB}!A1:F"


def reader(sandbox: Sandbox) -> tuple[SheetsReader, str]:
    env = settings_env(sandbox)
    session = make_session(HttpPolicy(source="sheets-test", ca_bundle=sandbox.ca_file, backoff_base=0))
    service = sheets_service(session, env["SHEETS_API_BASE_URL"], Credentials(token=FAKE_TOKEN))
    return SheetsReader(service), env["USAGE_SHEET_ID"]


@pytest.mark.parametrize("spoil", [{"truncate": True}, {"rewrite": lambda body: b'{"values": [["a", }'}])
def test_given_a_sheets_answer_that_is_not_json_then_the_read_fails_naming_the_range(
        sandbox: Sandbox, spoil: dict[str, object]) -> None:
    sheets, spreadsheet = reader(sandbox)
    rows, _ = sheets.read(spreadsheet, RANGE)
    fault = sandbox.faults.add(SHEETS, times=1, **spoil)  # type: ignore[arg-type]
    try:
        with pytest.raises(SheetLayoutError, match=f"sheets answered {RANGE} with a body that is not a JSON object"):
            sheets.read(spreadsheet, RANGE)
    finally:
        sandbox.faults.clear()
    assert rows and fault.hits == 1
    assert sheets.read(spreadsheet, RANGE)[0] == rows
