"""The finance team's key-mapping spreadsheet, as the Sheets fake serves it, derived from the world.

Tab `Mapping` is the world's key-mapping sheet (header row, ragged rows, the deliberate mistakes) with the
optional `valid_from` column the usage-collect README documents: a key that changed hands is written as the
previous owner's row (no date: since the key was created) followed by the current owner's row dated with the
handover day. Tab `People` lists the engineers with their team.
"""

from __future__ import annotations

from datetime import timedelta

from sandbox.world import World

SPREADSHEET_ID = "1SbxUsageKeyMapping0fakeSpreadsheetId0000000"
MAPPING_TAB, PEOPLE_TAB = "Mapping", "People"
PEOPLE_HEADER = ["user_email", "name", "team"]


def mapping_rows(world: World) -> list[list[str]]:
    if not world.key_mapping_sheet:
        return []
    header, *rows = world.key_mapping_sheet
    handed = {k.name: k for k in world.api_keys if k.handover_date and k.previous_owner_email and k.owner_email}
    out = [[*header, "valid_from"]]
    for row in rows:
        key = handed.get(row[0]) if row else None
        if key is None or key.handover_date is None or len(row) < 2 \
                or row[1].strip().lower() != (key.owner_email or "").lower():
            out.append(list(row))
            continue
        platform = row[3] if len(row) > 3 else "anthropic"
        until = key.handover_date - timedelta(days=1)
        out.append([key.name, key.previous_owner_email or "", f"until {until.isoformat()}", platform])
        out.append([*row, *[""] * (4 - len(row)), key.handover_date.isoformat()])
    return out


def people_rows(world: World) -> list[list[str]]:
    return [PEOPLE_HEADER] + [[e.email, e.name, e.team] for e in world.engineers]


def workbook(world: World) -> dict[str, dict[str, list[list[str]]]]:
    """Spreadsheet id → tab title → rows, read live from the world (tests change it between runs)."""
    return {SPREADSHEET_ID: {MAPPING_TAB: mapping_rows(world), PEOPLE_TAB: people_rows(world)}}
