"""The SOQL subset: parsing, binding to the schema, filtering, ordering, limiting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sandbox.apis import soql, soql_run
from sandbox.world_schema import RELATIONSHIP_TARGETS, SF_FIELDS


def bound(text: str) -> soql.Query:
    return soql.bind(soql.parse(text), SF_FIELDS, RELATIONSHIP_TARGETS)


def test_parses_the_incremental_query_a_sync_sends() -> None:
    query = bound("select id, NAME, owner.name from ACCOUNT where SystemModstamp > 2024-05-01T00:00:00Z "
                  "and IsDeleted = false order by SystemModstamp limit 500")

    assert query.object_type == "Account"
    assert query.fields == ("Id", "Name", "Owner.Name")
    assert query.where == (soql.Condition("SystemModstamp", ">", datetime(2024, 5, 1, tzinfo=UTC)),
                           soql.Condition("IsDeleted", "=", False))
    assert query.order_by == (soql.OrderKey("SystemModstamp"),) and query.limit == 500


@pytest.mark.parametrize("literal, value", [
    ("2024-05-01T10:00:00.000+0000", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01", date(2024, 5, 1)),
    ("'O\\'Brien'", "O'Brien"),
    ("42", 42.0),
    ("null", None),
    ("TRUE", True),
])
def test_literals(literal: str, value: object) -> None:
    assert soql.parse(f"SELECT Id FROM Account WHERE Name = {literal}").where[0].value == value


@pytest.mark.parametrize("text", [
    "SELECT FROM Account", "SELECT Id FRM Account", "SELECT Id FROM Account WHERE", "SELECT Id, FROM Account",
    "SELECT Id FROM Account LIMIT x", "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' AND Id = 'c'",
    "SELECT Id FROM Account WHERE Name = 'a' AND (Name = 'b' OR Id = 'c'", "SELECT Id FROM Account WHERE ()",
    "SELECT Id FROM Account ORDER SystemModstamp", "SELECT Id FROM Account #", "",
])
def test_unparseable_queries_are_malformed(text: str) -> None:
    with pytest.raises(soql.SoqlError) as failure:
        soql.parse(text)
    assert failure.value.code == "MALFORMED_QUERY" and "ERROR at Row:1" in failure.value.message


@pytest.mark.parametrize("text, code", [
    ("SELECT Nope FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Account WHERE Nope = 1", "INVALID_FIELD"),
    ("SELECT Owner.Nope FROM Account", "INVALID_FIELD"),
    ("SELECT Account.Name FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Widget", "INVALID_TYPE"),
    ("SELECT Id, IsDeleted FROM User", "INVALID_FIELD"),
    ("SELECT Id FROM User WHERE IsDeleted = false", "INVALID_FIELD"),
    ("SELECT OwnerId FROM EmailMessage", "INVALID_FIELD"),
])
def test_unknown_names_are_refused_like_salesforce(text: str, code: str) -> None:
    with pytest.raises(soql.SoqlError) as failure:
        bound(text)
    assert failure.value.code == code


def test_run_filters_orders_and_limits() -> None:
    records: list[dict[str, object]] = [
        {"Id": "1", "Name": "beta", "Amount": 5.0, "CloseDate": date(2024, 1, 2)},
        {"Id": "2", "Name": "Alpha", "Amount": None, "CloseDate": date(2024, 1, 1)},
        {"Id": "3", "Name": "gamma", "Amount": 7.0, "CloseDate": date(2024, 1, 3)},
        {"Id": "4", "Name": "ALPHA", "Amount": 1.0, "CloseDate": date(2024, 1, 4)},
    ]

    def ids(text: str) -> list[str]:
        return [r["Id"] for r in soql_run.run(soql.parse(text), records)]

    assert ids("SELECT Id FROM Opportunity ORDER BY Name, Id DESC") == ["4", "2", "1", "3"]
    assert ids("SELECT Id FROM Opportunity ORDER BY Amount") == ["2", "4", "1", "3"]
    assert ids("SELECT Id FROM Opportunity ORDER BY Amount DESC") == ["3", "1", "4", "2"]
    assert ids("SELECT Id FROM Opportunity ORDER BY Amount NULLS LAST LIMIT 2") == ["4", "1"]
    assert ids("SELECT Id FROM Opportunity WHERE Name = 'alpha'") == ["2", "4"]
    assert ids("SELECT Id FROM Opportunity WHERE Amount >= 5 AND CloseDate < 2024-01-03") == ["1"]
    assert ids("SELECT Id FROM Opportunity WHERE Amount = null") == ["2"]
    assert ids("SELECT Id FROM Opportunity WHERE Amount != null AND Id IN ('1', '2', '3')") == ["1", "3"]


def test_or_and_parentheses_bind_and_filter_like_salesforce() -> None:
    keyset = bound("select Id from Task where SystemModstamp > 2024-05-01T00:00:00Z or "
                   "(systemmodstamp = 2024-05-01T00:00:00Z and id > '00T2') order by SystemModstamp, Id")
    at = datetime(2024, 5, 1, tzinfo=UTC)
    assert keyset.where == (soql.AnyOf((
        soql.Condition("SystemModstamp", ">", at),
        soql.AllOf((soql.Condition("SystemModstamp", "=", at), soql.Condition("Id", ">", "00T2"))))),)
    records: list[dict[str, object]] = [
        {"Id": "00T1", "SystemModstamp": at}, {"Id": "00T3", "SystemModstamp": at},
        {"Id": "00T2", "SystemModstamp": at}, {"Id": "00T0", "SystemModstamp": datetime(2024, 5, 2, tzinfo=UTC)},
        {"Id": "00T9", "SystemModstamp": datetime(2024, 4, 30, tzinfo=UTC)},
    ]
    assert [r["Id"] for r in soql_run.run(keyset, records)] == ["00T3", "00T0"]
    nested = soql.parse("SELECT Id FROM Task WHERE (Id = '00T1' OR Id = '00T9') AND Id != '00T9'")
    assert [r["Id"] for r in soql_run.run(nested, records)] == ["00T1"]
