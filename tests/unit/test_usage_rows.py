"""usage-collect's pure parts: payload → row conversion, exact money, date windows and sheet parsing."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "usage_collect"))

from usage_rows import (
    cents_to_usd,
    claude_code_key,
    claude_code_row,
    cost_rows,
    cursor_event_key,
    cursor_event_row,
    cursor_spend_row,
    cursor_usage_row,
    usage_key,
    usage_rows,
)
from usage_sheets import MAPPING_COLUMNS, SheetLayoutError, parse_rows
from usage_window import Window, collection_window

STAMP = {"collected_at": dt.datetime(2026, 5, 4, 5, tzinfo=dt.UTC), "_run_id": "run-1"}
BUCKET = {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z"}


@pytest.mark.parametrize(("cents", "usd"), [
    ("123.45", Decimal("1.2345")),
    ("0.000000001", Decimal("0")),            # beyond NUMERIC's 9 places, rounded half-even
    ("0.0000005", Decimal("0.000000005")),
    ("1000000000.99", Decimal("10000000.0099")),
    ("7", Decimal("0.07")),
    (186, Decimal("1.86")),
    (20.18, Decimal("0.2018")),
])
def test_cents_become_exact_dollars(cents: object, usd: Decimal) -> None:
    converted = cents_to_usd(cents)
    assert converted == usd
    assert converted.as_tuple().exponent == -9


def test_cents_to_dollars_never_goes_through_floats() -> None:
    assert cents_to_usd("0.3") - cents_to_usd("0.1") == Decimal("0.002")
    assert sum(cents_to_usd("0.1") for _ in range(10)) == Decimal("0.01")


def test_a_usage_result_keeps_every_token_class_and_null_dimensions_become_empty_keys() -> None:
    result = {"uncached_input_tokens": 1500, "cache_read_input_tokens": 200, "output_tokens": 500,
              "cache_creation": {"ephemeral_1h_input_tokens": 7, "ephemeral_5m_input_tokens": 1000},
              "server_tool_use": {"web_search_requests": 3}, "api_key_id": None, "workspace_id": None,
              "model": "claude-sonnet-4-20250514", "service_tier": "standard"}

    [row] = usage_rows({**BUCKET, "results": [result]}, STAMP)

    assert (row["uncached_input_tokens"], row["cache_read_input_tokens"], row["cache_creation_5m_input_tokens"],
            row["cache_creation_1h_input_tokens"], row["output_tokens"], row["web_search_requests"]) == (
        1500, 200, 1000, 7, 500, 3)
    assert (row["api_key_id"], row["workspace_id"]) == ("", "")
    assert row["bucket_start"] == dt.datetime(2025, 8, 1, tzinfo=dt.UTC)
    assert usage_key(row) == "2025-08-01|||claude-sonnet-4-20250514|standard"


def test_an_empty_bucket_gives_no_rows() -> None:
    assert list(usage_rows({**BUCKET, "results": []}, STAMP)) == []


def test_cost_items_keep_the_cents_and_the_exact_dollars() -> None:
    item = {"currency": "USD", "amount": "0.471625", "workspace_id": "wrkspc_1",
            "description": "Claude Haiku 4.5 Usage - Cache Write (5m)", "model": "claude-haiku-4-5-20251001",
            "cost_type": "tokens", "token_type": "cache_creation.ephemeral_5m_input_tokens"}

    [row] = cost_rows({**BUCKET, "results": [item]}, STAMP)

    assert row["amount_cents"] == Decimal("0.471625")
    assert row["amount_usd"] == Decimal("0.00471625")
    assert row["token_type"] == "cache_creation.ephemeral_5m_input_tokens"


def test_a_claude_code_record_sums_tool_actions_and_nests_model_costs() -> None:
    record = {
        "actor": {"type": "user_actor", "email_address": " Ann@Example.com"}, "date": "2025-08-08T00:00:00Z",
        "core_metrics": {"num_sessions": 15, "commits_by_claude_code": 8, "pull_requests_by_claude_code": 2,
                         "lines_of_code": {"added": 342, "removed": 128}},
        "customer_type": "api",
        "tool_actions": {"edit_tool": {"accepted": 25, "rejected": 3}, "write_tool": {"accepted": 8, "rejected": 0}},
        "model_breakdown": [{"model": "claude-sonnet-4-20250514", "estimated_cost": {"amount": 186, "currency": "USD"},
                             "tokens": {"input": 45230, "output": 12450, "cache_read": 8790, "cache_creation": 2340}}],
    }

    row = claude_code_row(record, STAMP)

    assert (row["usage_date"], row["actor_id"], row["user_email"]) == (dt.date(2025, 8, 8), "ann@example.com",
                                                                       "ann@example.com")
    assert (row["tool_accepted"], row["tool_rejected"], row["lines_added"]) == (33, 3, 342)
    assert row["model_breakdown"][0]["estimated_cost_usd"] == Decimal("1.86")
    assert row["model_breakdown"][0]["cache_creation_tokens"] == 2340
    assert row["is_remote"] is False


def test_remote_and_local_claude_code_records_of_an_actor_day_have_different_keys() -> None:
    local = {"actor": {"type": "user_actor", "email_address": "ann@example.com"}, "date": "2025-08-08"}

    keys = {claude_code_key(claude_code_row(record, STAMP)) for record in (local, {**local, "is_remote": True})}

    assert keys == {"2025-08-08|user_actor|ann@example.com|false", "2025-08-08|user_actor|ann@example.com|true"}


def test_cursor_rows_are_keyed_on_the_lowercased_email_and_the_api_day() -> None:
    record = {"date": 1750982400000, "day": "2025-06-27", "email": "A.B@Co.com", "isActive": True,
              "totalAccepts": 3, "usageBasedReqs": 2, "mostUsedModel": "gpt-5"}

    row = cursor_usage_row(record, STAMP)

    assert row is not None
    assert (row["usage_date"], row["user_email"], row["email"]) == (dt.date(2025, 6, 27), "a.b@co.com", "A.B@Co.com")
    assert (row["total_accepts"], row["usage_based_reqs"], row["most_used_model"]) == (3, 2, "gpt-5")
    assert cursor_usage_row({"date": 1750982400000}, STAMP) is None


def test_cursor_spend_cents_become_dollars() -> None:
    row = cursor_spend_row(1708992000000, {"spendCents": 2450, "email": "a@co.com"}, dt.date(2024, 3, 1), STAMP)
    assert row is not None
    assert (row["spend_usd"], row["cycle_start"]) == (Decimal("24.5"), dt.datetime(2024, 2, 27, tzinfo=dt.UTC))


def test_a_window_is_cut_into_chunks_the_source_accepts() -> None:
    window = Window(dt.date(2026, 1, 1), dt.date(2026, 3, 1))

    chunks = list(window.chunks(30))

    assert [(c.start, c.end) for c in chunks] == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 30)), (dt.date(2026, 1, 31), dt.date(2026, 3, 1))]
    assert sum(c.days for c in chunks) == window.days == 60


@pytest.mark.parametrize(("start", "end", "last", "expected"), [
    (None, None, None, (dt.date(2026, 2, 3), dt.date(2026, 5, 4))),
    (None, None, dt.date(2026, 5, 3), (dt.date(2026, 4, 27), dt.date(2026, 5, 4))),
    (None, None, dt.date(2026, 4, 10), (dt.date(2026, 4, 10), dt.date(2026, 5, 4))),
    (None, None, dt.date(2025, 1, 1), (dt.date(2026, 2, 3), dt.date(2026, 5, 4))),
    (dt.date(2026, 1, 1), None, None, (dt.date(2026, 1, 1), dt.date(2026, 5, 4))),
    (dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 5, 3), (dt.date(2026, 1, 1), dt.date(2026, 1, 31))),
    (None, dt.date(2026, 1, 31), None, (dt.date(2026, 1, 24), dt.date(2026, 1, 31))),
])
def test_the_collection_window(start: dt.date | None, end: dt.date | None, last: dt.date | None,
                               expected: tuple[dt.date, dt.date]) -> None:
    """Explicit bounds win; otherwise the trailing week, the first run backfilling 90 days, and a gap after
    an outage re-collected from the last collected day (at most 90 days back)."""
    window = collection_window(start, end, dt.date(2026, 5, 4), 7, last, backfill_days=90)
    assert (window.start, window.end) == expected


def test_sheet_rows_are_read_by_header_name_with_ragged_and_blank_rows() -> None:
    values = [["User_Email", "API_KEY_NAME", "notes"], ["a@co.com", "key-a", "x"], [], ["", ""], ["b@co.com"]]

    rows = list(parse_rows(values, 1, MAPPING_COLUMNS, ("api_key_name", "user_email")))

    assert [(r.row_number, r.cells["api_key_name"], r.cells["user_email"]) for r in rows] == [
        (2, "key-a", "a@co.com"), (5, "", "b@co.com")]
    assert rows[0].cells["valid_from"] == "" and rows[0].raw == ["a@co.com", "key-a", "x"]


def test_a_sheet_without_a_required_column_is_rejected() -> None:
    with pytest.raises(SheetLayoutError, match="user_email"):
        list(parse_rows([["api_key_name", "owner"]], 1, MAPPING_COLUMNS, ("api_key_name", "user_email")))


EVENT = {"timestamp": "1750979225854", "model": "claude-4-opus", "kind": "Usage-based", "maxMode": True,
         "requestsCosts": 5, "isTokenBasedCall": True, "isFreeBugbot": False, "userEmail": " A@Co.com",
         "tokenUsage": {"inputTokens": 126, "outputTokens": 450, "cacheWriteTokens": 6112, "cacheReadTokens": 11964,
                        "totalCents": 20.18}}


def test_a_usage_event_is_keyed_on_its_millisecond_email_and_model_and_charges_its_token_cents() -> None:
    row = cursor_event_row(EVENT, STAMP)

    assert row is not None
    assert row["event_at"] == dt.datetime(2025, 6, 26, 23, 7, 5, 854000, tzinfo=dt.UTC)
    assert (row["usage_date"], row["user_email"], row["email"]) == (dt.date(2025, 6, 26), "a@co.com", " A@Co.com")
    assert cursor_event_key(row) == "1750979225854|a@co.com|claude-4-opus"
    assert (row["total_cents"], row["charged_cents"], row["charged_usd"]) == (
        Decimal("20.18"), Decimal("20.18"), Decimal("0.2018"))
    assert (row["input_tokens"], row["cache_read_tokens"], row["requests_costs"]) == (126, 11964, Decimal(5))


@pytest.mark.parametrize(("changes", "charged"), [
    ({"kind": "Included in Business"}, Decimal(0)),
    ({"kind": None, "kindLabel": "USAGE_EVENT_KIND_USAGE_BASED"}, Decimal("20.18")),
    ({"kind": None, "kindLabel": "Errored, Not Charged"}, Decimal(0)),
    ({"isFreeBugbot": True}, Decimal(0)),
    ({"isTokenBasedCall": False, "tokenUsage": None}, None),
])
def test_only_usage_based_events_charge_and_one_without_a_token_cost_is_unpriced(
        changes: dict[str, object], charged: Decimal | None) -> None:
    row = cursor_event_row({**EVENT, **changes}, STAMP)

    assert row is not None and row["charged_cents"] == charged


def test_a_usage_event_without_an_email_or_model_is_dropped_or_keyed_on_empty() -> None:
    assert cursor_event_row({**EVENT, "userEmail": None}, STAMP) is None
    row = cursor_event_row({**EVENT, "model": None, "isTokenBasedCall": False}, STAMP)
    assert row is not None and row["model"] == "" and row["input_tokens"] is None
