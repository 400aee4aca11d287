"""ZetaSQL types and values ↔ BigQuery type names and the Python values the warehouse returns.

NUMERIC travels as the value times 10^9 in little-endian two's complement; NULL is an empty ValueProto (its
type comes from the column). Timestamps are microseconds since the epoch in UTC, dates days since it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from tools.sqlcheck.zetasql import pb

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EPOCH_DATE = dt.date(1970, 1, 1)
NUMERIC_SCALE = 10**9
_NAMES = {"TYPE_INT64": "INT64", "TYPE_DOUBLE": "FLOAT64", "TYPE_STRING": "STRING", "TYPE_BOOL": "BOOL",
          "TYPE_NUMERIC": "NUMERIC", "TYPE_BIGNUMERIC": "BIGNUMERIC", "TYPE_TIMESTAMP": "TIMESTAMP",
          "TYPE_DATE": "DATE", "TYPE_DATETIME": "DATETIME", "TYPE_TIME": "TIME", "TYPE_BYTES": "BYTES",
          "TYPE_JSON": "JSON", "TYPE_INTERVAL": "INTERVAL", "TYPE_GEOGRAPHY": "GEOGRAPHY"}


def type_pb2() -> Any:
    return pb("zetasql.public.type_pb2")


def type_name(type_proto: Any) -> str:
    """BigQuery spelling of a ZetaSQL type: INT64, ARRAY<STRING>, STRUCT<a INT64>."""
    kind = type_pb2().TypeKind.Name(type_proto.type_kind)
    if kind == "TYPE_ARRAY":
        return f"ARRAY<{type_name(type_proto.array_type.element_type)}>"
    if kind == "TYPE_STRUCT":
        fields = ", ".join(f"{f.field_name} {type_name(f.field_type)}" for f in type_proto.struct_type.field)
        return f"STRUCT<{fields}>"
    return _NAMES.get(kind, kind.removeprefix("TYPE_"))


def scalar_type(name: str) -> Any:
    """A TypeProto for a scalar or ARRAY<scalar> BigQuery type name (used for query parameters)."""
    types = type_pb2()
    if name.startswith("ARRAY<"):
        element = scalar_type(name[6:-1])
        return types.TypeProto(type_kind=types.TYPE_ARRAY, array_type=types.ArrayTypeProto(element_type=element))
    kinds = {v: k for k, v in _NAMES.items()}
    return types.TypeProto(type_kind=types.TypeKind.Value(kinds[name]))


def _numeric_bytes(value: decimal.Decimal) -> bytes:
    scaled = int((value * NUMERIC_SCALE).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
    length = (scaled.bit_length() + 8) // 8
    return scaled.to_bytes(length, "little", signed=True)


def to_value(value: Any, type_proto: Any) -> Any:
    """A warehouse value as a ValueProto of the column's type."""
    value_pb = pb("zetasql.public.value_pb2").ValueProto
    if value is None:
        return value_pb()
    name = type_name(type_proto)
    if name.startswith("ARRAY<"):
        element = type_proto.array_type.element_type
        return value_pb(array_value=value_pb.Array(element=[to_value(v, element) for v in value]))
    if name.startswith("STRUCT<"):
        fields = type_proto.struct_type.field
        items = [value.get(f.field_name) for f in fields] if isinstance(value, dict) else list(value)
        return value_pb(struct_value=value_pb.Struct(
            field=[to_value(v, f.field_type) for v, f in zip(items, fields, strict=True)]))
    return _scalar_value(value_pb, name, value)


def _scalar_value(value_pb: Any, name: str, value: Any) -> Any:
    if name == "TIMESTAMP":
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        micros = (value - EPOCH) // dt.timedelta(microseconds=1)
        stamp = pb("google.protobuf.timestamp_pb2").Timestamp(seconds=micros // 10**6,
                                                              nanos=(micros % 10**6) * 1000)
        return value_pb(timestamp_value=stamp)
    builders = {
        "INT64": lambda v: value_pb(int64_value=int(v)),
        "FLOAT64": lambda v: value_pb(double_value=float(v)),
        "STRING": lambda v: value_pb(string_value=str(v)),
        "BOOL": lambda v: value_pb(bool_value=bool(v)),
        "NUMERIC": lambda v: value_pb(numeric_value=_numeric_bytes(decimal.Decimal(v))),
        "DATE": lambda v: value_pb(date_value=(v - EPOCH_DATE).days),
        "JSON": lambda v: value_pb(json_value=v if isinstance(v, str) else json.dumps(v)),
        "BYTES": lambda v: value_pb(bytes_value=bytes(v)),
    }
    if name not in builders:
        raise TypeError(f"no ValueProto conversion for {name}")
    return builders[name](value)


def from_value(value: Any, type_proto: Any) -> Any:
    """A ValueProto as the Python value DuckDB would return for the same type."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        element = type_proto.array_type.element_type
        return [from_value(v, element) for v in value.array_value.element]
    if which == "struct_value":
        fields = type_proto.struct_type.field
        return {f.field_name: from_value(v, f.field_type)
                for f, v in zip(fields, value.struct_value.field, strict=True)}
    if which == "timestamp_value":
        stamp = value.timestamp_value
        return EPOCH + dt.timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)
    if which == "date_value":
        return EPOCH_DATE + dt.timedelta(days=value.date_value)
    if which in ("numeric_value", "bignumeric_value"):
        raw = getattr(value, which)
        scale = NUMERIC_SCALE if which == "numeric_value" else 10**38
        return decimal.Decimal(int.from_bytes(raw, "little", signed=True)) / scale if raw else decimal.Decimal(0)
    return getattr(value, which)


def table_content(columns: list[tuple[str, Any]], rows: list[dict[str, Any]]) -> Any:
    """Rows (dicts by column name) as ZetaSQL table content, typed by the catalog's (name, TypeProto) columns."""
    service = pb("local_service_pb2")
    return service.TableContent(table_data=service.TableData(row=[
        service.TableData.Row(cell=[to_value(row.get(name), kind) for name, kind in columns]) for row in rows]))


def answer(response: Any) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """An EvaluateQuery response as (column name, BigQuery type) pairs and rows of Python values."""
    columns = [(c.name, c.type) for c in response.prepared.columns]
    rows = [tuple(from_value(cell, kind) for cell, (_, kind) in zip(row.cell, columns, strict=True))
            for row in response.content.table_data.row]
    return [(name, type_name(kind)) for name, kind in columns], rows
