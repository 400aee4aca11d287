"""The generic statements, in BigQuery SQL, built from a table's name, columns and key: the upsert, and the
schema changes a table gets at run time (a column added or widened, a table for a configured Salesforce custom
object, its delete bookkeeping).

This is the one place where SQL is composed in Python: each shape is fixed, only names and column lists vary,
and every name comes from the table files or is checked by `identifier`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")
_TYPE = re.compile(r"^(STRING|INT64|NUMERIC|FLOAT64|BOOL|DATE|TIMESTAMP|ARRAY<STRING>)( NOT NULL)?$")
_COMPLEX_PREFIXES = ("ARRAY", "STRUCT", "JSON", "MAP")


def _is_complex(type_name: str) -> bool:
    upper = type_name.upper()
    return upper.startswith(_COMPLEX_PREFIXES) or upper.endswith("]")


def _differs(column: str, type_name: str) -> str:
    if _is_complex(type_name):
        return f"to_json_string(t.{column}) is distinct from to_json_string(s.{column})"
    return f"t.{column} is distinct from s.{column}"


def identifier(name: str) -> str:
    """`name` if it is a plain BigQuery identifier (letters, digits, underscores); ValueError otherwise."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain identifier")
    return name


def build(table: str, stage: str, columns: Sequence[str], key: Sequence[str], types: Mapping[str, str],
          volatile: Sequence[str] = (), insert: bool = True) -> str:
    """MERGE the stage into the table; with `insert` false, rows the table lacks are left out (an update of
    some columns of existing rows)."""
    on = " and ".join(f"t.{k} = s.{k}" for k in key)
    updatable = [c for c in columns if c not in key]
    compared = [c for c in updatable if c not in volatile]
    insert_cols = ", ".join(columns)
    insert_vals = ", ".join(f"s.{c}" for c in columns)
    statement = f"merge into {table} t\nusing {stage} s\non {on}\n"
    if updatable and compared:
        condition = "\n   or ".join(_differs(c, types[c]) for c in compared)
        assignments = ", ".join(f"{c} = s.{c}" for c in updatable)
        statement += f"when matched and (\n      {condition}\n) then update set {assignments}\n"
    if not insert:
        return statement.rstrip("\n")
    return statement + f"when not matched then insert ({insert_cols}) values ({insert_vals})"


def add_column(table: str, column: str, ddl_type: str) -> str:
    """What ensure_schema sends for a column a table file declares but the table lacks (and salesforce-sync for
    a configured field new to the table)."""
    return f"alter table {table} add column {column} {ddl_type}"


def set_column_type(table: str, column: str, ddl_type: str) -> str:
    """Widen a column in place (INT64 → NUMERIC → FLOAT64): no value changes."""
    return f"alter table {identifier(table)} alter column {identifier(column)} set data type {_checked(ddl_type)}"


def create_table(table: str, columns: Mapping[str, str], key: str, description: str) -> str:
    """A table whose columns are known only at run time (a configured Salesforce custom object)."""
    listed = ",\n  ".join(f"{identifier(c)} {_checked(t)}" for c, t in columns.items())
    text = description.replace("\\", "\\\\").replace("'", "\\'")
    return (f"create table if not exists {identifier(table)} (\n  {listed}\n)\ncluster by {identifier(key)}\n"
            f"options (description = '{text}')")


def reconcile_deleted(table: str, key: str, object_type: str) -> str:
    """The shape of `jobs/sfdc_reconcile_<table>.sql` for a table created at run time: after a completed full
    listing, flag the live rows the listing did not return."""
    return (f"update {identifier(table)}\nset\n  is_deleted = true,\n  deleted_at = cast(@deleted_at as timestamp),\n"
            f"  _synced_at = cast(@synced_at as timestamp),\n  _run_id = @run_id\nwhere not is_deleted\n"
            f"  and {identifier(key)} not in (\n    select seen.record_id\n    from sf_listing_seen as seen\n"
            f"    where seen.listing_id = @listing_id\n      and seen.object_type = '{identifier(object_type)}'\n  )")


def reconciled_count(table: str) -> str:
    """The shape of `jobs/sfdc_reconciled_count.sql` for a table created at run time."""
    return (f"select count(*) as flagged\nfrom {identifier(table)}\nwhere is_deleted\n  and _run_id = @run_id\n"
            "  and deleted_at = cast(@deleted_at as timestamp)")


def live_ids(table: str, key: str) -> str:
    """The shape of `jobs/sfdc_live_ids.sql` for a table created at run time: which of @record_ids are stored
    and not yet flagged deleted."""
    return (f"select {identifier(key)} as record_id\nfrom {identifier(table)}\n"
            f"where {identifier(key)} in unnest(cast(@record_ids as array<string>))\n  and not is_deleted")


def _checked(ddl_type: str) -> str:
    if not _TYPE.match(ddl_type.upper()):
        raise ValueError(f"{ddl_type!r} is not a column type a run-time table takes")
    return ddl_type
