"""The generic upsert statement, in BigQuery SQL, built from a table's columns and key.

This is the one place where SQL is composed in Python: its shape is fixed, only the column lists vary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

_COMPLEX_PREFIXES = ("ARRAY", "STRUCT", "JSON", "MAP")


def _is_complex(type_name: str) -> bool:
    upper = type_name.upper()
    return upper.startswith(_COMPLEX_PREFIXES) or upper.endswith("]")


def _differs(column: str, type_name: str) -> str:
    if _is_complex(type_name):
        return f"to_json_string(t.{column}) is distinct from to_json_string(s.{column})"
    return f"t.{column} is distinct from s.{column}"


def build(table: str, stage: str, columns: Sequence[str], key: Sequence[str], types: Mapping[str, str],
          volatile: Sequence[str] = ()) -> str:
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
    return statement + f"when not matched then insert ({insert_cols}) values ({insert_vals})"


def add_column(table: str, column: str, ddl_type: str) -> str:
    """What ensure_schema sends for a column a table file declares but the table lacks."""
    return f"alter table {table} add column {column} {ddl_type}"
