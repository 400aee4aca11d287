"""The hostile_requests scenario: each function's real HTTP entry point refuses the whole battery as documented and
writes nothing, free text that looks like SQL runs harmlessly, and a request let through is reported."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared import entrypoint
from tools.pipeline import FUNCTIONS_DIR, PIPELINE, by_cloud_name
from tools.reliability import report, runner
from tools.reliability.hostile_requests import (
    HOSTILE_REQUEST_SCENARIOS,
    SQL_STRINGS,
    Raw,
    encode,
    hostile_requests_for,
    shape,
)
from tools.reliability.runner import Outcome

SPEC_MODULES = {"salesforce-sync": "sfdc_job", "dialpad-sync": "dialpad_job", "gmail-sync": "gmail_job",
                "usage-collect": "usage_job", "entity-resolution": "er_job", "generate-embeddings": "emb_job",
                "account-scoring": "score_job"}


def params_model(name: str) -> type[BaseModel]:
    folder = str(FUNCTIONS_DIR / by_cloud_name(name).folder)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module = __import__(SPEC_MODULES[name])
    model: type[BaseModel] = module.SPEC.params_model
    return model


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    [outcome] = runner.run([by_cloud_name("salesforce-sync")], list(HOSTILE_REQUEST_SCENARIOS),
                           workdir=tmp_path_factory.mktemp("hostile"))
    return outcome


def test_given_the_hostile_battery_then_salesforce_sync_answers_each_as_documented_and_ends_as_the_clean_run(
        salesforce: Outcome) -> None:
    expected = len(hostile_requests_for("salesforce-sync", params_model("salesforce-sync")))
    assert salesforce.played.injected and salesforce.played.survived, report.notes([salesforce])
    assert (salesforce.lost, salesforce.duplicates, salesforce.ahead) == (0, 0, False)
    assert salesforce.played.notes == [
        f"{expected} hostile requests (1x308, {expected - 17}x400, 6x404, 6x405, 4x413): all answered as "
        "documented, nothing written, no source called"]


@pytest.mark.parametrize("name", [entry.cloud_name for entry in PIPELINE])
def test_given_each_functions_params_model_then_every_field_is_attacked_and_named_in_the_expected_answer(
        name: str) -> None:
    model = params_model(name)
    battery = hostile_requests_for(name, model)
    named = {hostile.field for hostile in battery if hostile.status == 400}
    assert set(model.model_fields) <= named
    for field in model.model_fields:
        body_fields = [json.loads(h.data) for h in battery if h.field == field and _parses(h.data)]
        assert body_fields and all(field in body for body in body_fields), field
    assert {h.status for h in battery} == {308, 400, 404, 405, 413}


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def test_given_a_field_type_the_battery_has_no_values_for_then_it_fails_loudly() -> None:
    class Future(entrypoint.JobParams):
        ratio: float = 0.5

    with pytest.raises(TypeError, match="ratio: no hostile values"):
        hostile_requests_for("salesforce-sync", Future)
    assert shape("ids", list[str] | None).kind == "list"


def test_given_raw_tokens_then_they_are_written_as_they_are() -> None:
    assert encode({"limit": Raw(b"NaN"), "ids": [Raw(b'"\xff"'), "a"]}) == b'{"limit": NaN, "ids": ["\xff", "a"]}'


def test_given_a_refused_request_that_gets_through_then_the_scenario_reports_its_status_rows_and_source_calls(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser that reads a JSON array as the default body: the array runs a sync."""
    parse = entrypoint.parse_params

    def lenient(raw: bytes, model: type[Any]) -> Any:
        return model() if raw == b"[]" else parse(raw, model)

    monkeypatch.setattr(entrypoint, "parse_params", lenient)
    [outcome] = runner.run([by_cloud_name("salesforce-sync")], list(HOSTILE_REQUEST_SCENARIOS), workdir=tmp_path)

    assert outcome.played.injected and not outcome.played.survived and not outcome.passed
    notes = outcome.played.notes
    assert notes[0].endswith("FAILURES")
    assert any(n.startswith("not an object b'[]': status 200, expected 400") for n in notes), notes
    assert any(n.startswith("scheduler header, array body: status 200") for n in notes), notes
    assert any(n.startswith("rows written by refused requests: {") and "'etl_run_log'" in n for n in notes), notes
    assert any("request(s) reached the sandbox" in n for n in notes), notes


def test_given_sql_looking_free_text_then_generate_embeddings_searches_harmlessly_and_finds_no_such_account(
        tmp_path: Path) -> None:
    [outcome] = runner.run([by_cloud_name("generate-embeddings")], list(HOSTILE_REQUEST_SCENARIOS), workdir=tmp_path)

    assert outcome.played.survived and (outcome.lost, outcome.duplicates) == (0, 0), report.notes([outcome])
    assert outcome.played.notes[1] == (f"SQL-looking free text accepted in query, account_id: {len(SQL_STRINGS)} "
                                       "run(s), no data row changed, nothing matched")
