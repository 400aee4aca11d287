"""DuckDB type names as the BigQuery types they stand for (`BIGINT` → INT64, `VARCHAR[]` → ARRAY<STRING>), so
code that reasons about column types reads the same names on either engine."""

from __future__ import annotations

import re

_SCALARS = {"BIGINT": "INT64", "INTEGER": "INT64",
            "DOUBLE": "FLOAT64", "VARCHAR": "STRING", "BOOLEAN": "BOOL", "DATE": "DATE",
            "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "DECIMAL(38,9)": "NUMERIC", "JSON": "JSON", "BLOB": "BYTES",
            '"NULL"': "NULL", "NULL": "NULL"}


def bigquery_type_name(name: str) -> str:
    """The BigQuery type a DuckDB type stands for, or `duckdb:<name>` when there is none (HUGEINT, a DECIMAL
    other than NUMERIC's (38, 9), a TIMESTAMP without time zone)."""
    name = name.strip()
    if name.endswith("[]"):
        return f"ARRAY<{bigquery_type_name(name[:-2])}>"
    struct = re.fullmatch(r"STRUCT\((.*)\)", name)
    if struct:
        return f"STRUCT<{', '.join(_struct_field(f) for f in _split_fields(struct.group(1)))}>"
    return _SCALARS.get(name.replace(" ", "") if name.startswith("DECIMAL") else name, f"duckdb:{name}")


def _struct_field(text: str) -> str:
    field_name, kind = text.strip().split(" ", 1)
    return f"{field_name.strip(chr(34))} {bigquery_type_name(kind)}"


def _split_fields(text: str) -> list[str]:
    fields, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append(current)
            current = ""
        else:
            current += char
    return [*fields, current] if current.strip() else fields
