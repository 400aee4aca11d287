"""Every function's request model: dates are ISO strings within 2000-01-01 .. now, and nothing else gets in."""

from __future__ import annotations

import datetime as dt
import json
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
for folder in ("dialpad_sync", "gmail_sync", "salesforce_sync", "usage_collect", "entity_resolution",
               "generate_embeddings", "account_scoring"):
    sys.path.insert(0, str(FUNCTIONS / folder))

from dialpad_settings import DialpadParams  # noqa: E402
from emb_settings import EmbeddingParams  # noqa: E402
from er_settings import ResolutionParams  # noqa: E402
from gmail_settings import GmailParams  # noqa: E402
from score_settings import ScoringParams  # noqa: E402
from sfdc_job import SyncParams  # noqa: E402
from usage_settings import UsageParams  # noqa: E402

from shared import params  # noqa: E402
from shared.entrypoint import parse_params  # noqa: E402
from tests.infra.test_terraform import job_settings  # noqa: E402

UTC = dt.UTC
MODELS: tuple[type[BaseModel], ...] = (DialpadParams, GmailParams, SyncParams, UsageParams)


class FromNow:
    """A value relative to the moment the test runs (its repr, the test id, is the same on every xdist worker)."""

    def __init__(self, label: str, delta: dt.timedelta, as_date: bool = False) -> None:
        self.label, self.delta, self.as_date = label, delta, as_date

    def __repr__(self) -> str:
        return self.label

    def text(self) -> str:
        moment = dt.datetime.now(UTC) + self.delta
        return moment.date().isoformat() if self.as_date else moment.isoformat()


def resolved(value: Any) -> Any:
    return value.text() if isinstance(value, FromNow) else value


TOMORROW = FromNow("tomorrow", dt.timedelta(days=1), as_date=True)
IN_AN_HOUR = FromNow("in-an-hour", dt.timedelta(hours=1))
NOT_A_DATE: list[Any] = [
    "0001-01-01", "1900-01-01", "1999-12-31", "9999-12-31", TOMORROW, 0, 1, 1_700_000_000, "1", "0", "1700000000",
    1.5, True, None, [], {}, "2026-02-30", "2026-1-5", "20260105", "2026-01-05T00:00:00", " 2026-01-05",
    "\uff12\uff10\uff12\uff16-01-05",  # full-width digits
]
NOT_A_DATETIME: list[Any] = [
    "0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31", "1999-12-31T23:59:59Z",
    "2000-01-01T13:00:00+14:00", IN_AN_HOUR, TOMORROW, 0, 1, "1", "0", "1700000000", 1.5, True, [], {},
    "2026-01-15T25:00:00Z", "2026-01-15T08:00:00+24:00", "2026-01-15T08:00:00.1234567Z", "yesterday", "2026-01-15Z",
]


def refusal(model: type[BaseModel], body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return str(refused.value)


@pytest.mark.parametrize("value", NOT_A_DATE)
@pytest.mark.parametrize(("model", "name", "extra"), [
    (GmailParams, "since", {"sync_type": "full"}),
    (UsageParams, "start_date", {}),
    (UsageParams, "end_date", {}),
])
def test_given_a_date_field_then_only_an_iso_date_string_from_2000_to_today_is_accepted(
        model: type[BaseModel], name: str, extra: dict[str, Any], value: Any) -> None:
    if value is None:
        assert getattr(model.model_validate({**extra, name: None}), name) is None
        return
    assert params.DATE_ALLOWED in refusal(model, {**extra, name: resolved(value)})


@pytest.mark.parametrize("value", NOT_A_DATETIME)
def test_given_started_after_then_only_an_iso_date_or_datetime_string_from_2000_to_now_is_accepted(
        value: Any) -> None:
    assert params.DATETIME_ALLOWED in refusal(DialpadParams, {"sync_type": "full", "started_after": resolved(value)})


def test_given_valid_dates_then_they_are_read_as_utc_dates_and_datetimes() -> None:
    today = dt.datetime.now(UTC).date()
    usage = UsageParams.model_validate({"start_date": "2000-01-01", "end_date": today.isoformat()})
    assert (usage.start_date, usage.end_date) == (dt.date(2000, 1, 1), today)
    assert GmailParams.model_validate({"sync_type": "full", "since": "2026-01-15"}).since == dt.date(2026, 1, 15)
    for text, moment in [
        ("2026-01-15", dt.datetime(2026, 1, 15, tzinfo=UTC)),
        ("2026-01-15T08:00", dt.datetime(2026, 1, 15, 8, tzinfo=UTC)),
        ("2026-01-15T08:00:00Z", dt.datetime(2026, 1, 15, 8, tzinfo=UTC)),
        ("2026-01-15T08:00:00.25+02:00", dt.datetime(2026, 1, 15, 6, 0, 0, 250_000, tzinfo=UTC)),
        ("2000-01-01T00:00:00Z", dt.datetime(2000, 1, 1, tzinfo=UTC)),
        ("2000-01-01T09:00:00+09:00", dt.datetime(2000, 1, 1, tzinfo=UTC)),
    ]:
        parsed = DialpadParams.model_validate({"sync_type": "full", "started_after": text}).started_after
        assert parsed == moment and parsed is not None and parsed.tzinfo == UTC, text


def test_given_python_date_objects_then_the_same_range_applies() -> None:
    assert GmailParams(sync_type="full", since=dt.date(2026, 1, 1)).since == dt.date(2026, 1, 1)
    assert DialpadParams(sync_type="full", started_after=dt.datetime(2026, 1, 1)).started_after == dt.datetime(
        2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError, match="from 2000-01-01"):
        UsageParams(start_date=dt.date(1999, 12, 31))
    with pytest.raises(ValidationError, match="from 2000-01-01"):
        GmailParams(sync_type="full", since=dt.datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("model", "body", "field"), [
    (DialpadParams, {"sync_type": "full", "started_after": "0001-01-01T00:00:00+14:00"}, "started_after"),
    (DialpadParams, {"sync_type": "full", "started_after": "9999-12-31T23:59:59-14:00"}, "started_after"),
    (DialpadParams, {"sync_type": "full", "started_after": 0}, "started_after"),
    (GmailParams, {"sync_type": "full", "since": "1900-01-01"}, "since"),
    (UsageParams, {"end_date": "9999-12-31"}, "end_date"),
    (UsageParams, {"start_date": "1"}, "start_date"),
])
def test_given_an_out_of_range_date_in_a_body_then_the_400_names_the_field_and_the_range(
        model: type[BaseModel], body: dict[str, Any], field: str) -> None:
    answer = parse_params(json.dumps(body).encode(), model)
    assert isinstance(answer, tuple)
    text, status, _ = answer
    allowed = params.DATETIME_ALLOWED if field == "started_after" else params.DATE_ALLOWED
    assert (status, json.loads(text)) == (400, {"error": f"{field}: must be {allowed}", "field": field})


def date_like(annotation: Any) -> bool:
    if annotation in (dt.date, dt.datetime):
        return True
    return any(date_like(arg) for arg in typing.get_args(annotation))


def annotated_metadata(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        return list(annotation.__metadata__)
    return [m for arg in typing.get_args(annotation) for m in annotated_metadata(arg)]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_date_field_of_every_request_model_uses_the_shared_bounded_types(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        if date_like(info.annotation):
            validators = [getattr(m, "func", None) for m in [*info.metadata, *annotated_metadata(info.annotation)]]
            assert params.iso_date in validators or params.iso_datetime in validators, f"{model.__name__}.{name}"
    later = {"DialpadParams": {"started_after"}, "GmailParams": {"since"}, "SyncParams": set(),
             "UsageParams": {"start_date", "end_date"}}
    assert {n for n, i in model.model_fields.items() if date_like(i.annotation)} == later[model.__name__]


@pytest.mark.parametrize(("name", "model"), [("dialpad-sync", DialpadParams), ("gmail-sync", GmailParams),
                                             ("salesforce-sync", SyncParams), ("usage-collect", UsageParams)])
def test_the_body_cloud_scheduler_posts_to_each_function_is_a_valid_request(name: str, model: type[BaseModel]) -> None:
    for schedule in job_settings(name)["schedules"].values():
        assert isinstance(parse_params(schedule["body"].encode(), model), model)


INTEGER, BOOLEAN, TEXT = "Input should be a valid integer", "Input should be a valid boolean", \
    f"must be {params.TEXT_ALLOWED}"


@pytest.mark.parametrize(("model", "body", "field", "error"), [
    (EmbeddingParams, {"limit": True}, "limit", INTEGER),
    (EmbeddingParams, {"limit": 10.0}, "limit", INTEGER),
    (EmbeddingParams, {"limit": "10"}, "limit", INTEGER),
    (EmbeddingParams, {"query": "renewal", "k": True}, "k", INTEGER),
    (ScoringParams, {"limit": 3.0}, "limit", INTEGER),
    (ResolutionParams, {"full": "yes"}, "full", BOOLEAN),
    (ResolutionParams, {"full": 1}, "full", BOOLEAN),
    (EmbeddingParams, {"query": "renewal\u0000budget"}, "query", TEXT),
    (EmbeddingParams, {"query": "renewal", "account_id": "\ud800"}, "account_id", TEXT),
    (ScoringParams, {"account_ids": ["001A", "001\u0000"]}, "account_ids", TEXT),
    (GmailParams, {"mailbox": "ann\u0007@acme.com"}, "mailbox", TEXT),
    (UsageParams, {"sources": ["anthropic\u007f"]}, "sources", TEXT),
])
def test_given_a_value_lax_mode_would_coerce_or_a_control_character_then_400_names_the_field(
        model: type[BaseModel], body: dict[str, Any], field: str, error: str) -> None:
    """Lax mode once read `true` as limit 1 and `"yes"` as full=true, and a NUL reached the warehouse."""
    answer = parse_params(json.dumps(body).encode(), model)
    assert isinstance(answer, tuple)
    text, status, _ = answer
    assert (status, json.loads(text)) == (400, {"error": f"{field}: {error}", "field": field})


def test_given_tabs_and_newlines_in_free_text_then_they_are_accepted() -> None:
    assert EmbeddingParams.model_validate({"query": "budget\tQ3\r\nrenewal"}).query == "budget\tQ3\r\nrenewal"
    assert ScoringParams.model_validate({"limit": 3}).limit == 3
