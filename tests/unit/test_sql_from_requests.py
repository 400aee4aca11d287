"""No SQL (or SOQL) is built by string formatting from request values: request values travel as query parameters.

Every .py under functions/ and shared/ is parsed. Two kinds of finding, keyed by (file, function):
- an executing call (`.query`, `.execute`, `.vector_search`, Salesforce `.query_pages`, a warehouse `.merge` ...)
  whose argument is built by formatting (f-string, %, +, .format, .join), directly, through a local variable, or
  as the return value of a helper of the same module;
- a formatted string anywhere that reads as SQL (`select ... from`, `merge into`, `where x > {}` ...), which
  catches statement builders whose result reaches the call by another route.
Each finding must be in DYNAMIC_SQL with the reason it is safe, and no finding may interpolate a request value
(`params`, `request`, `body`, `payload`). The scanner is tested on planted source text, so it cannot pass by
finding nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("functions", "shared")
EXECUTES = frozenset({"query", "query_typed", "execute", "execute_script", "executemany", "sql", "_run_dml",
                      "_run_job", "_apply_view", "vector_search", "query_pages", "query_all", "create_bulk_query"})
"""Methods that run SQL: the Warehouse API, duckdb connections, the BigQuery client, Salesforce SOQL."""
TAKES_A_TABLE = frozenset({"merge", "append", "column_types"})
"""Warehouse methods whose table name becomes SQL (checked on a receiver named like a warehouse)."""
REQUEST_NAMES = frozenset({"params", "request", "body", "payload"})
SQL_TEXT = re.compile(r"^\s*(select|insert|update|delete|merge|create|drop|alter|with|set|comment|truncate)\s"
                      r"|\bselect\b.*\bfrom\s|\bwhere\s+\S+\s*(=|>|<|in\b|is\b|like\b)|\b(insert|merge)\s+into\s"
                      r"|\bvalues\s*\(", re.IGNORECASE | re.DOTALL)
DYNAMIC_SQL: dict[tuple[str, str], str] = {
    ("functions/generate_embeddings/emb_search.py", "_distinct_messages"):
        "the search's where clause joins fragments of the code constant EMAIL_WHERE, chosen by which filters the "
        "request has; the filter values (@account_id, @since_at) are query parameters",
    ("functions/generate_embeddings/emb_search.py", "_calls"):
        "as _distinct_messages, with CALL_WHERE",
    ("functions/salesforce_sync/sfdc_bulk.py", "read_bulk_job"):
        "SOQL: field names from the org's describe() intersected with the stream's code-declared fields, the "
        "object name from the stream (the request's object_type is a Literal of the eight stream names)",
    ("functions/salesforce_sync/sfdc_client.py", "SalesforceClient.count"):
        "SOQL COUNT(): the object name comes from the stream definitions (code constants)",
    ("functions/salesforce_sync/sfdc_sync.py", "ObjectSync.rest_soql"):
        "SOQL: fields and object from code as above; the resume point is a datetime formatted by soql_datetime "
        "and a record Id read back from Salesforce, quoted with backslash and quote escaped",
    ("functions/salesforce_sync/sfdc_deletes.py", "DeleteTracker.reconcile"):
        "a file name, jobs/sfdc_reconcile_<table>.sql, with the table from the stream definitions",
    ("shared/warehouse/bigquery_backend.py", "BigQueryWarehouse.vector_search"):
        "table, column and select list from the calling code, top_k an int(); the query vector and filter values "
        "are query parameters",
    ("shared/warehouse/duckdb_backend.py", "DuckDBWarehouse.vector_search"):
        "as the BigQuery vector_search",
    ("shared/warehouse/duckdb_backend.py", "_open"):
        "`set enable_progress_bar` to one of two literals",
    ("shared/warehouse/duckdb_backend.py", "DuckDBWarehouse._stage"):
        "a staging table named by the backend (uuid) from a table and columns that merge() checked against the "
        "table's own catalog",
    ("shared/warehouse/duckdb_backend.py", "DuckDBWarehouse._insert"):
        "target table named by the backend or by the caller's code; the rows travel as an Arrow table",
    ("shared/warehouse/duckdb_backend.py", "DuckDBWarehouse._drop_stage"):
        "the staging table the backend named",
    ("shared/warehouse/duckdb_backend.py", "DuckDBWarehouse._apply_view"):
        "a view name parsed from a file under sql/views and a fingerprint (hex digest) of its DDL",
    ("shared/warehouse/merge_sql.py", "build"):
        "the one statement builder: table from code, stage from the backend, columns from the catalog",
    ("shared/warehouse/merge_sql.py", "add_column"):
        "ensure_schema: table, column and type from the files under sql/tables",
    ("functions/salesforce_sync/sfdc_backfill.py", "FieldBackfill.rest_batches"):
        "SOQL: Id and the configured fields that describe reported (API names checked by the settings), the object "
        "from the stream; the resume point is a record Id read back from Salesforce, backslash and quote escaped",
    ("functions/salesforce_sync/sfdc_backfill.py", "FieldBackfill.bulk_batches"):
        "SOQL of a Bulk job: Id and describe-checked configured fields, the object from the stream",
    ("shared/warehouse/merge_sql.py", "set_column_type"):
        "table and column checked by identifier(), the type one of a fixed list (_checked)",
    ("shared/warehouse/merge_sql.py", "create_table"):
        "table, key and columns checked by identifier(), types from a fixed list, the description escaped",
    ("shared/warehouse/merge_sql.py", "reconcile_deleted"):
        "table, key and object name checked by identifier(); the values are query parameters",
    ("shared/warehouse/merge_sql.py", "reconciled_count"):
        "table checked by identifier(); the values are query parameters",
    ("shared/warehouse/merge_sql.py", "live_ids"):
        "table and key checked by identifier(); the ids are a query parameter",
    ("shared/warehouse/rewrites_catalog.py", "<module>"):
        "DuckDB's stand-in for INFORMATION_SCHEMA: module constants (_OWN, the type rewrite steps); the dataset "
        "name goes in as a quoted sqlglot literal",
}


@dataclass(frozen=True)
class Finding:
    path: str
    function: str
    line: int
    how: str
    names: frozenset[str]
    """Names interpolated into the text (a request value would show here)."""

    @property
    def key(self) -> tuple[str, str]:
        return self.path, self.function


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def built(node: ast.AST) -> bool:
    """Text made by formatting: an f-string with a placeholder, %, + with text, .format(), .join()."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_text(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return any(_is_text(side) or built(side) for side in (node.left, node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join")
    return False


def interpolated(node: ast.AST) -> frozenset[str]:
    """The root names of what a built text interpolates."""
    if isinstance(node, ast.JoinedStr):
        parts: list[ast.AST] = [p.value for p in node.values if isinstance(p, ast.FormattedValue)]
    elif isinstance(node, ast.BinOp):
        parts = [node.left, node.right]
    elif isinstance(node, ast.Call):
        parts = [*node.args, *(k.value for k in node.keywords)]
    else:
        parts = [node]
    return frozenset(n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name))


def _text_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.JoinedStr) and built(node):
        return "".join(str(p.value) if isinstance(p, ast.Constant) else "{}" for p in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return str(node.left.value)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)):
        return str(node.func.value.value)
    return None


class _Scope:
    """One function: its local assignments and the module's helpers, to follow an argument to its text."""

    def __init__(self, function: ast.AST, helpers: dict[str, ast.FunctionDef]) -> None:
        self.helpers = helpers
        self.assigned: dict[str, list[ast.AST]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)

    def sources(self, node: ast.AST) -> Iterator[ast.AST]:
        yield node
        if isinstance(node, ast.Name):
            yield from self.assigned.get(node.id, [])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.helpers:
            for found in ast.walk(self.helpers[node.func.id]):
                if isinstance(found, ast.Return) and found.value is not None:
                    yield found.value


def _executes(call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Attribute):
        return False
    if call.func.attr in EXECUTES:
        return True
    receiver = ast.unparse(call.func.value)
    return call.func.attr in TAKES_A_TABLE and (receiver == "self" or receiver.endswith(("warehouse", "wh")))


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """Every function (as Class.method, outer.inner) and the module's own statements as `<module>`."""
    yield "<module>", tree

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{prefix}{child.name}", child
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
    yield from walk(tree, "")


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function or module, without those of the functions and classes defined inside it (their
    own findings); lambdas belong to the function that holds them."""
    for child in ast.iter_child_nodes(scope):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield child
            yield from _own_nodes(child)


def scan_source(text: str, path: str) -> list[Finding]:
    tree = ast.parse(text)
    helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    found: dict[tuple[str, int, str], Finding] = {}
    for name, function in _functions(tree):
        scope = _Scope(function, helpers)
        for node in _own_nodes(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _executes(node):
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    for source in scope.sources(argument):
                        if built(source):
                            how = f".{node.func.attr}() argument"
                            found.setdefault((name, node.lineno, how), Finding(
                                path, name, node.lineno, how, interpolated(source)))
            sql = _text_of(node)
            if sql is not None and SQL_TEXT.search(sql) and isinstance(node, ast.expr):
                found.setdefault((name, node.lineno, "sql text"), Finding(
                    path, name, node.lineno, "formatted SQL text", interpolated(node)))
    return list(found.values())


def scan_tree() -> list[Finding]:
    return [finding for folder in SCANNED for file in sorted((ROOT / folder).rglob("*.py"))
            for finding in scan_source(file.read_text(), file.relative_to(ROOT).as_posix())]


PLANTED = '''
def leaky(params, ctx):
    ctx.warehouse.query(f"select * from accounts where account_id = '{params.account_id}'")


def leaky_variable(params, warehouse):
    sql = "select * from calls where call_id = '%s'" % params.call_id
    return warehouse.query(sql)


def leaky_helper(request, con):
    con.execute(_where(request))


def _where(request):
    return " and ".join(["x = " + request.args["x"]])


def leaky_builder(body):
    return "delete from gmail_messages where mailbox = '{}'".format(body["mailbox"])


def safe(params, ctx):
    return ctx.warehouse.query("jobs/score_count.sql", {"account_ids": params.account_ids})
'''


def test_given_planted_sql_built_from_request_values_then_the_scanner_finds_each_and_the_request_names() -> None:
    findings = scan_source(PLANTED, "planted.py")
    by_function = {(f.function, f.how): f.names for f in findings}
    assert set(by_function) == {
        ("leaky", ".query() argument"), ("leaky", "formatted SQL text"),
        ("leaky_variable", ".query() argument"), ("leaky_variable", "formatted SQL text"),
        ("leaky_helper", ".execute() argument"), ("leaky_builder", "formatted SQL text")}
    for (function, _), names in by_function.items():
        assert names & REQUEST_NAMES, (function, names)
    assert not [f for f in findings if f.function == "safe"]


def test_given_sql_from_constants_or_sql_files_then_the_scanner_finds_nothing() -> None:
    source = '''
TABLE = "sf_accounts"
def fine(warehouse, params):
    warehouse.query("select count(*) as n from sf_accounts")
    warehouse.query("jobs/emb_select_calls.sql", {"limit": params.limit})
    warehouse.merge(TABLE, [{"account_id": params.account_id}])
    label = f"rows {params.limit}"
    return label
'''
    assert scan_source(source, "fine.py") == []


def test_no_sql_in_functions_or_shared_is_formatted_from_a_request_value() -> None:
    leaks = [f for f in scan_tree() if f.names & REQUEST_NAMES]
    assert leaks == []


def test_every_dynamic_sql_in_functions_and_shared_is_listed_with_why_it_is_safe() -> None:
    findings = scan_tree()
    found = {f.key for f in findings}
    unlisted = sorted({f"{f.path}:{f.line} {f.function} ({f.how}, interpolates {sorted(f.names)})"
                       for f in findings if f.key not in DYNAMIC_SQL})
    assert unlisted == [], "SQL built by formatting: make the values query parameters, or list it in DYNAMIC_SQL"
    assert sorted(set(DYNAMIC_SQL) - found) == [], "listed in DYNAMIC_SQL but no longer found: remove it"
