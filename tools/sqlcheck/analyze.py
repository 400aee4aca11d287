"""Run every collected statement through ZetaSQL's analyzer against the project's catalog."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tools.sqlcheck.catalog import Catalog
from tools.sqlcheck.statements import Statement, uses_vector_search, vector_search_stand_in
from tools.sqlcheck.types import scalar_type
from tools.sqlcheck.zetasql import AnalysisError

_STAGE_NAME = re.compile(r"\b(_stage_\w+)\b")


@dataclass(frozen=True)
class Finding:
    origin: str
    sql: str
    message: str

    def __str__(self) -> str:
        head = " ".join(self.sql.split())[:160]
        return f"{self.origin}\n  statement: {head}\n  ZetaSQL: {self.message}"


def _extra_tables(catalog: Catalog, statement: Statement) -> dict[str, list[tuple[str, Any]]]:
    """Tables a statement needs beyond the catalog: its staging table, or a table lacking a column."""
    extra = {}
    if statement.stage_of:
        extra = {name: catalog.schemas[statement.stage_of] for name in set(_STAGE_NAME.findall(statement.sql))}
    if statement.absent_column:
        table, column = statement.absent_column
        extra[table] = [(name, kind) for name, kind in catalog.schemas[table] if name != column]
    return extra


def analyze_one(catalog: Catalog, statement: Statement) -> int:
    """Analyze one statement (or script); returns how many statements were checked."""
    server = catalog.server
    proto = catalog.proto(_extra_tables(catalog, statement))
    if statement.script:
        return server.analyze_script(statement.sql, proto)
    params = {k: scalar_type(v) for k, v in (statement.param_types or {}).items()}
    text = vector_search_stand_in(statement.sql) if uses_vector_search(statement.sql) else statement.sql
    server.analyze(text, proto, params)
    return 1


def analyze_all(catalog: Catalog, statements: Iterable[Statement]) -> tuple[int, list[Finding]]:
    """(statements analyzed, findings); identical texts with identical parameter types are checked once."""
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    count, findings = 0, []
    for statement in statements:
        key = (statement.sql, tuple(sorted((statement.param_types or {}).items())))
        if key in seen:
            continue
        seen.add(key)
        try:
            count += analyze_one(catalog, statement)
        except AnalysisError as exc:
            count += 1
            findings.append(Finding(statement.origin, statement.sql, str(exc)))
    return count, findings
