"""The project's own catalog for ZetaSQL: every table of `sql/tables`, a sample of the tables salesforce-sync
creates at run time, and every view of `sql/views`.

Column names and types come from ZetaSQL itself: each `create table` file is analyzed and its resolved
column definitions become a catalog table; each view is then analyzed against the catalog so far and its
resolved output columns registered, so a view that reads another view resolves once that one has.
The same tables are also reachable as `project.dataset.table`, the form the BigQuery backend gives views.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared import sqlfiles
from tools.sqlcheck.types import type_name
from tools.sqlcheck.zetasql import AnalysisError, ZetaSQL, pb

QUALIFIED_PROJECT = "proj-1"
QUALIFIED_DATASET = "sales_intel"


def find_fields(message: Any, name: str) -> Iterator[Any]:
    """Every value of a field called `name` anywhere inside a protobuf message, depth first."""
    for descriptor, value in message.ListFields():
        if descriptor.name == name:
            yield value
        if descriptor.message_type is None:
            continue
        items = value if descriptor.is_repeated else [value]
        for item in items:
            yield from find_fields(item, name)


@dataclass
class Catalog:
    """Table and view schemas (name → [(column, TypeProto)]) and the SimpleCatalogProto built from them."""

    server: ZetaSQL
    schemas: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def proto(self, extra: dict[str, list[tuple[str, Any]]] | None = None) -> Any:
        """The catalog as ZetaSQL takes it; `extra` adds or replaces tables for one statement."""
        if not extra:
            key = tuple(self.schemas)
            cached = self.__dict__.get("_cached")
            if cached is None or cached[0] != key:
                self.__dict__["_cached"] = (key, self._build_proto({}))
            return self.__dict__["_cached"][1]
        return self._build_proto(extra)

    def _build_proto(self, extra: dict[str, list[tuple[str, Any]]]) -> Any:
        catalog_pb2 = pb("zetasql.proto.simple_catalog_pb2")
        tables = {**self.schemas, **extra}
        root = catalog_pb2.SimpleCatalogProto(name="sales_intel", builtin_function_options=self.server.builtins())
        dataset = catalog_pb2.SimpleCatalogProto(name=QUALIFIED_DATASET)
        for name, columns in tables.items():
            for target in (root, dataset):
                table = target.table.add(name=name)
                for column, type_proto in columns:
                    table.column.add(name=column, type=type_proto)
        root.catalog.add(name=QUALIFIED_PROJECT).catalog.append(dataset)
        root.catalog.append(_information_schema(catalog_pb2))
        return root

    def add_statement_output(self, name: str, sql: str) -> None:
        """Register `name` with the columns a resolved CREATE TABLE / CREATE VIEW statement defines."""
        resolved = self.server.analyze(sql, self.proto())
        definitions = list(find_fields(resolved, "column_definition_list"))
        if definitions:
            self.schemas[name] = [(d.name, d.type) for group in definitions for d in group]
            return
        outputs = next(find_fields(resolved, "output_column_list"))
        self.schemas[name] = [(o.name, o.column.type) for o in outputs]

    def describe(self, name: str) -> dict[str, str]:
        return {column: type_name(t) for column, t in self.schemas[name]}


def _information_schema(catalog_pb2: Any) -> Any:
    """`INFORMATION_SCHEMA.TABLES`, `.COLUMNS` and `.VIEWS` with BigQuery's columns (those the BigQuery backend
    and analysts read)."""
    from tools.sqlcheck.types import scalar_type

    schema = catalog_pb2.SimpleCatalogProto(name="INFORMATION_SCHEMA")
    tables = schema.table.add(name="TABLES")
    for column in ("table_catalog", "table_schema", "table_name", "table_type", "is_insertable_into", "ddl"):
        tables.column.add(name=column, type=scalar_type("STRING"))
    tables.column.add(name="creation_time", type=scalar_type("TIMESTAMP"))
    table = schema.table.add(name="COLUMNS")
    for column in ("table_catalog", "table_schema", "table_name", "column_name", "is_nullable", "data_type"):
        table.column.add(name=column, type=scalar_type("STRING"))
    table.column.add(name="ordinal_position", type=scalar_type("INT64"))
    views = schema.table.add(name="VIEWS")
    for column in ("table_catalog", "table_schema", "table_name", "view_definition", "check_option",
                   "use_standard_sql"):
        views.column.add(name=column, type=scalar_type("STRING"))
    return schema


def build(server: ZetaSQL) -> Catalog:
    """Tables first, then views in as many passes as their dependencies need; failures are kept by file."""
    from tools.sqlcheck.statements import runtime_tables

    catalog = Catalog(server)
    for spec in sqlfiles.table_files().values():
        try:
            catalog.add_statement_output(spec.name, spec.ddl)
        except AnalysisError as exc:
            catalog.errors[f"tables/{spec.path.name}"] = str(exc)
    for name, ddl in runtime_tables().items():
        try:
            catalog.add_statement_output(name, ddl)
        except AnalysisError as exc:
            catalog.errors[f"run-time table {name}"] = str(exc)
    pending: list[Path] = sqlfiles.view_files()
    while pending:
        failed: list[Path] = []
        for path in pending:
            try:
                catalog.add_statement_output(path.stem, path.read_text())
            except AnalysisError as exc:
                catalog.errors[f"views/{path.name}"] = str(exc)
                failed.append(path)
        if len(failed) == len(pending):
            break
        for path in pending:
            if path not in failed:
                catalog.errors.pop(f"views/{path.name}", None)
        pending = failed
    return catalog
