"""Every SQL text the suite can send to BigQuery, each with where it comes from.

- every file in `sql/` (tables and views are analyzed while the catalog is built);
- the MERGE `merge_sql.build` composes for every table, and the `alter table … add column` of ensure_schema;
- what salesforce-sync composes for a table it creates at run time (a configured custom object, with a column
  of every type a Salesforce field maps to): its MERGE and update-only MERGE, its delete bookkeeping, a column
  added and widened;
- what the BigQuery backend sends for the schema (views as `qualify_tables` rewrites them), column lookups
  and vector search, captured from a recording client;
- what the backend sent in the unit tests (recorded by their fake client, see `recording`);
- what the pipeline sent while it ran (captured by `observe_statements`, with the parameters' real types);
- every ```sql block of the Markdown documentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared import sqlfiles
from shared.warehouse import ddl_text, merge_sql
from tools.sqlcheck.recording import RecordingClient

ROOT = sqlfiles.SQL_DIR.parent
DOCS = ("README.md", "functions/*/README.md", "docs/**/*.md")
_FENCE = re.compile(r"^```sql[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_VECTOR_SEARCH = re.compile(r"\bvector_search\s*\(", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    origin: str
    sql: str
    param_types: Mapping[str, str] | None = None
    """BigQuery type per @param when known (recorded); otherwise the analyzer infers them."""
    stage_of: str | None = None
    """The table a `_stage_…` name in this statement is shaped like."""
    script: bool = False
    absent_column: tuple[str, str] | None = None
    """(table, column) to leave out of the catalog: an add-column statement is checked on a table that lacks it."""


def sql_files() -> Iterator[Statement]:
    for folder in ("jobs", "demo", "report"):
        for path in sorted((sqlfiles.SQL_DIR / folder).glob("*.sql")):
            yield Statement(f"sql/{folder}/{path.name}", path.read_text(), script=True)


def composed() -> Iterator[Statement]:
    """The MERGE for every table with all its columns, and ensure_schema's add-column for every column."""
    for spec in sqlfiles.table_files().values():
        types = ddl_text.declared_columns(spec.ddl)
        stage = f"_stage_{spec.name}_check"
        yield Statement(f"merge_sql.build({spec.name})",
                        merge_sql.build(spec.name, stage, list(types), spec.key, types), stage_of=spec.name)
        for column, ddl_type in types.items():
            yield Statement(f"ensure_schema add column {spec.name}.{column}",
                            merge_sql.add_column(spec.name, column, ddl_type), absent_column=(spec.name, column))


RUNTIME_TABLE = "sf_sample_object"


def runtime_tables() -> dict[str, str]:
    """Table → DDL of what salesforce-sync creates at run time, as it composes it, for the catalog."""
    import sys

    sys.path.insert(0, str(ROOT / "functions" / "salesforce_sync"))
    from sfdc_fields import BIGQUERY_TYPES
    from sfdc_schema import custom_table_columns
    from sfdc_streams import custom_stream

    stream = custom_stream("Sample_Object__c")
    kinds = {"Id": "id", "OwnerId": "reference", "Name": "string", "CreatedDate": "datetime",
             "LastModifiedDate": "datetime", "SystemModstamp": "datetime", "IsDeleted": "boolean"}
    columns = custom_table_columns(stream, kinds)
    columns.update({f"field_{sf_type}__c": bigquery_type for sf_type, bigquery_type in BIGQUERY_TYPES.items()})
    assert stream.table == RUNTIME_TABLE
    return {stream.table: merge_sql.create_table(stream.table, columns, stream.key, "Salesforce Sample_Object__c")}


def runtime_composed(catalog_columns: Mapping[str, Mapping[str, str]]) -> Iterator[Statement]:
    """salesforce-sync's statements on a run-time table (`catalog_columns`: table → column → BigQuery type)."""
    table, types = RUNTIME_TABLE, dict(catalog_columns[RUNTIME_TABLE])
    key = "sample_object_id"
    stage = f"_stage_{table}_check"
    for insert in (True, False):
        yield Statement(f"merge_sql.build({table}, insert={insert})",
                        merge_sql.build(table, stage, list(types), (key,), types, ("_synced_at", "_run_id"), insert),
                        stage_of=table)
    yield Statement("merge_sql.reconcile_deleted", merge_sql.reconcile_deleted(table, key, "Sample_Object__c"),
                    {"deleted_at": "TIMESTAMP", "synced_at": "TIMESTAMP", "run_id": "STRING", "listing_id": "STRING"})
    yield Statement("merge_sql.reconciled_count", merge_sql.reconciled_count(table),
                    {"run_id": "STRING", "deleted_at": "TIMESTAMP"})
    yield Statement("merge_sql.live_ids", merge_sql.live_ids(table, key), {"record_ids": "ARRAY<STRING>"})
    yield Statement("salesforce-sync add column", merge_sql.add_column(table, "field_currency__c", "NUMERIC"),
                    absent_column=(table, "field_currency__c"))
    for column, wider in (("field_int__c", "NUMERIC"), ("field_int__c", "FLOAT64"), ("field_currency__c", "FLOAT64")):
        yield Statement(f"salesforce-sync widen {column} to {wider}", merge_sql.set_column_type(table, column, wider))


def bigquery_backend() -> Iterator[Statement]:
    """Drive the BigQuery backend with a recording client: schema from scratch, a lookup, a vector search."""
    from shared.warehouse.bigquery_backend import BigQueryWarehouse

    client = RecordingClient()
    warehouse = BigQueryWarehouse("proj-1", "sales_intel", client=client)
    warehouse.ensure_schema()
    warehouse.column_types("etl_runs")
    warehouse.vector_search("gmail_messages", "embedding", [0.1, 0.2], top_k=5, select=["message_id", "subject"],
                            where="mailbox = @mailbox", params={"mailbox": "rep@example.com"})
    for sql, types in client.statements:
        yield Statement("BigQueryWarehouse", sql, types)


def recorded(path: Path, origin: str) -> Iterator[Statement]:
    from tools.sqlcheck.recording import read_records

    yield from traced(read_records(path), origin)


def traced(records: Iterable[tuple[str, Mapping[str, str]]], origin: str) -> Iterator[Statement]:
    for sql, types in records:
        yield Statement(origin, sql, types, stage_of=_stage_table(sql), script=";" in sql.strip().rstrip(";"))


def _stage_table(sql: str) -> str | None:
    """The table whose staging table (`_stage_<table>` or `_stage_<table>_<id>`) the statement reads."""
    names = [name for name in sqlfiles.table_files() if re.search(rf"\b_stage_{name}(_[0-9a-f]+)?\b", sql)]
    return max(names, key=len) if names else None


def markdown() -> Iterator[Statement]:
    for pattern in DOCS:
        for path in sorted(ROOT.glob(pattern)):
            text = path.read_text()
            for match in _FENCE.finditer(text):
                line = text[: match.start()].count("\n") + 2
                yield Statement(f"{path.relative_to(ROOT)}:{line}", match.group(1), script=True)


def vector_search_stand_in(sql: str) -> str:
    """ZetaSQL has no VECTOR_SEARCH: the statement with the call replaced by a subquery of the same output
    (`base` and `query` rows as STRUCTs, `distance` FLOAT64), so outer and inner queries are all checked."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="bigquery")
    calls = list(tree.find_all(exp.VectorSearch))
    if not calls:
        raise ValueError("vector_search call not found")
    for call in calls:
        base, query = call.this, call.args.get("query_table")
        if query is None:
            raise ValueError("vector_search without a query table")
        stand_in = sqlglot.parse_one(
            f"(select base, query, cast(0 as float64) as distance from {base.sql('bigquery')} as base "
            f"cross join {query.sql('bigquery')} as query)", read="bigquery")
        (call.parent if isinstance(call.parent, exp.Table) else call).replace(stand_in)
    return tree.sql("bigquery")


def uses_vector_search(sql: str) -> bool:
    return bool(_VECTOR_SEARCH.search(sql))
