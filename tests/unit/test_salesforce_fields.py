"""Which configured Salesforce fields are synced, into what columns and types, and how their values are stored."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "salesforce_sync"))

from sfdc_fields import BIGQUERY_TYPES, ExtraField, component_key, select_extras

from shared.warehouse import merge_sql


def described(*fields: tuple[str, str, bool, str | None]) -> list[dict[str, Any]]:
    return [{"name": n, "type": t, "custom": c, "compoundFieldName": p} for n, t, c, p in fields]


ACCOUNT = described(
    ("Id", "id", False, None), ("Name", "string", False, None), ("BillingAddress", "address", False, None),
    ("BillingStreet", "textarea", False, "BillingAddress"), ("BillingPostalCode", "string", False, "BillingAddress"),
    ("Budget__c", "currency", True, None), ("Tags__c", "multipicklist", True, None),
    ("HQ__c", "location", True, None), ("HQ__Latitude__s", "double", True, "HQ__c"),
    ("HQ__Longitude__s", "double", True, "HQ__c"), ("Logo__c", "base64", True, None),
)


def test_given_star_then_every_custom_field_but_components_and_unsyncable_types() -> None:
    extras, missing = select_extras("Account", ACCOUNT, "*", {"account_id": "Id", "account_name": "Name"})
    assert [(e.name, e.column, e.bigquery_type, e.components) for e in extras] == [
        ("Budget__c", "budget__c", "NUMERIC", ("Budget__c",)),
        ("Tags__c", "tags__c", "ARRAY<STRING>", ("Tags__c",)),
        ("HQ__c", "hq__c", "STRING", ("HQ__Latitude__s", "HQ__Longitude__s"))]
    assert missing == []


def test_given_a_list_then_standard_compounds_and_components_may_be_named_and_missing_ones_are_reported() -> None:
    extras, missing = select_extras("Account", ACCOUNT, ["BillingAddress", "HQ__Latitude__s", "Gone__c", "Name"],
                                    {"account_id": "Id", "account_name": "Name"})
    assert [(e.name, e.components) for e in extras] == [
        ("BillingAddress", ("BillingStreet", "BillingPostalCode")), ("HQ__Latitude__s", ("HQ__Latitude__s",)),
        ("Name", ("Name",))]
    assert missing == ["Gone__c"]


def test_given_a_field_already_synced_or_a_column_taken_then_it_is_skipped_or_refused() -> None:
    extras, _ = select_extras("Account", ACCOUNT, ["Name"], {"account_id": "Id", "name": "Name"})
    assert extras == []
    with pytest.raises(ValueError, match="would land in column name, which AccountName fills"):
        select_extras("Account", ACCOUNT, ["Name"], {"name": "AccountName"})
    with pytest.raises(ValueError, match=r"Account\.Logo__c is a base64 field, which cannot be synced"):
        select_extras("Account", ACCOUNT, ["Logo__c"], {})


@pytest.mark.parametrize(("compound", "component", "key"), [
    ("HQ__c", "HQ__Latitude__s", "latitude"), ("BillingAddress", "BillingPostalCode", "postalCode"),
    ("MailingAddress", "MailingGeocodeAccuracy", "geocodeAccuracy"), ("Site__c", "Site__Street__s", "street"),
])
def test_given_a_compound_component_then_its_key_is_the_rest_apis(compound: str, component: str, key: str) -> None:
    assert component_key(compound, component) == key


def test_given_values_then_multipicklists_are_lists_and_compounds_json_or_null() -> None:
    tags = ExtraField("Tags__c", "multipicklist", "tags__c", ("Tags__c",))
    assert tags.value({"Tags__c": "A;B"}) == ["A", "B"] and tags.value({"Tags__c": None}) is None
    hq = ExtraField("HQ__c", "location", "hq__c", ("HQ__Latitude__s", "HQ__Longitude__s"))
    assert json.loads(hq.value({"HQ__Latitude__s": 48.85, "HQ__Longitude__s": 2.35})) == {
        "latitude": 48.85, "longitude": 2.35}
    assert hq.value({"HQ__Latitude__s": None, "HQ__Longitude__s": None}) is None


def test_every_mapped_type_is_one_a_run_time_table_takes() -> None:
    columns = {f"c{n}": kind for n, kind in enumerate(sorted(set(BIGQUERY_TYPES.values())))}
    assert "ARRAY<STRING>" in merge_sql.create_table("sf_sample", {"sample_id": "STRING NOT NULL", **columns},
                                                     "sample_id", "sample")


@pytest.mark.parametrize("name", ["sf_x; drop table etl_runs", "sf x", "", "1sf"])
def test_given_a_name_that_is_not_an_identifier_then_no_statement_is_composed(name: str) -> None:
    with pytest.raises(ValueError, match="not a plain identifier"):
        merge_sql.create_table(name, {"a": "STRING"}, "a", "x")
    with pytest.raises(ValueError, match="is not a column type"):
        merge_sql.set_column_type("sf_x", "a", "STRING; drop table etl_runs")
