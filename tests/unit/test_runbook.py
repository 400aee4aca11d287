"""docs/runbook.md is checked, not trusted: its SQL passes BigQuery's analyzer, its `make` commands exist and its
curl bodies are requests its functions accept. (tests/integration/test_runbook_queries.py runs the SQL.)"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import hcl2
import pytest
from pydantic import BaseModel, ValidationError

from tools.pipeline import FUNCTIONS_DIR, ROOT, implemented
from tools.sqlcheck import analyze, catalog, statements
from tools.sqlcheck.catalog import Catalog
from tools.sqlcheck.zetasql import ZetaSQL

RUNBOOK = ROOT / "docs" / "runbook.md"
_ANY_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n]*)\n(?P<body>.*?)^[ \t]*```[ \t]*$",
                        re.MULTILINE | re.DOTALL)
_MAKE = re.compile(r"\bmake\s+([a-z][\w-]*)")
_MAKE_RULE = re.compile(r"^([\w.-]+(?:[ \t]+[\w.-]+)*)[ \t]*:(?!=)", re.MULTILINE)
_CURL_URL = re.compile(r"\$FN/([a-z][a-z-]*)")
_CURL_BODY = re.compile(r"(?:^|\s)(?:-d|--data|--data-raw)\s+'([^']*)'")
_NAME = re.compile(r"`([a-z][a-z0-9]*_[a-z0-9_]+)`")
_QUALIFIED = re.compile(r"`([a-z][a-z0-9]*_[a-z0-9_]+)\.([a-z][a-z0-9_]*)`")
OAUTH_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client"}
"""Error codes of the OAuth token endpoints (Salesforce, Google), named in the troubleshooting section."""


@dataclass(frozen=True)
class SqlBlock:
    line: int
    sql: str
    dml: bool

    @property
    def origin(self) -> str:
        return f"docs/runbook.md:{self.line}"


@dataclass(frozen=True)
class Curl:
    line: int
    function: str | None
    body: str | None


def runbook_text() -> str:
    return RUNBOOK.read_text()


def fences(text: str) -> list[tuple[int, str, str, str]]:
    """(line of the first body line, indent, info string, body) of every fenced block."""
    return [(text[: m.start()].count("\n") + 2, m.group("indent"), m.group("info").strip(), m.group("body"))
            for m in _ANY_FENCE.finditer(text)]


def sql_blocks(text: str | None = None) -> list[SqlBlock]:
    """Every ```sql block; ```sql dml marks one that changes data (analyzed, and run only on a copy)."""
    blocks = []
    for line, _, info, body in fences(runbook_text() if text is None else text):
        words = info.split()
        if words and words[0] == "sql":
            blocks.append(SqlBlock(line, body, "dml" in words[1:]))
    return blocks


def shell_commands(text: str) -> list[tuple[int, str]]:
    """Shell lines of the ```sh blocks, backslash continuations joined, with the line each starts on."""
    commands = []
    for first, _, info, body in fences(text):
        if info != "sh":
            continue
        pending, start = "", first
        for offset, line in enumerate(body.splitlines()):
            if not pending:
                start = first + offset
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            commands.append((start, pending + line))
            pending = ""
    return commands


def curls(text: str | None = None) -> list[Curl]:
    found = []
    for line, command in shell_commands(runbook_text() if text is None else text):
        if not re.search(r"\bcurl\b", command):
            continue
        url, body = _CURL_URL.search(command), _CURL_BODY.search(command)
        found.append(Curl(line, url.group(1) if url else None, body.group(1) if body else None))
    return found


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    targets = {name for rule in _MAKE_RULE.findall(makefile) for name in rule.split()}
    return {t for t in targets if not t.startswith(".") and "$" not in t}


def job_modules() -> dict[str, ModuleType]:
    """Each function's job module (the one its main.py takes SPEC from), imported from its folder as the deployed
    bundle imports it."""
    modules = {}
    for entry in implemented():
        module = re.search(r"^from (\w+) import SPEC$", entry.source.read_text(), re.MULTILINE)
        assert module, f"{entry.source}: no `from <job module> import SPEC`"
        folder = str(FUNCTIONS_DIR / entry.folder)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        modules[entry.cloud_name] = importlib.import_module(module.group(1))
    return modules


def params_models() -> dict[str, type[BaseModel]]:
    return {name: module.SPEC.params_model for name, module in job_modules().items()}


def example_mailboxes() -> list[str]:
    with (ROOT / "terraform" / "terraform.tfvars.example").open() as handle:
        return [str(m).strip('"') for m in hcl2.load(handle)["gmail_mailboxes"]]


@pytest.fixture(scope="module")
def project_catalog() -> Iterator[Catalog]:
    server = ZetaSQL()
    yield catalog.build(server)
    server.close()


def test_the_runbook_has_sql_for_every_part_of_the_daily_check() -> None:
    blocks = sql_blocks()
    text = " ".join(b.sql for b in blocks)
    for name in ("v_etl_status", "v_data_freshness", "v_pipeline_health", "v_match_rates", "account_recommendations",
                 "alerts", "v_cost_alerts", "v_attribution_coverage", "embedded_at", "'abandoned'",
                 "manual_mappings", "sync_state"):
        assert name in text, name
    assert [b.line for b in blocks if b.dml], "the manual-mapping insert is marked ```sql dml"


def test_every_sql_fence_starts_a_line_so_make_sqlcheck_sees_it_too() -> None:
    indented = [line for line, indent, info, _ in fences(runbook_text()) if info.startswith("sql") and indent]
    assert indented == []
    assert [s.sql for s in statements.markdown() if s.origin.startswith("docs/runbook.md:")] == \
        [b.sql for b in sql_blocks()]


def test_every_sql_block_passes_bigquerys_analyzer(project_catalog: Catalog) -> None:
    blocks = sql_blocks()
    checked = [statements.Statement(b.origin, b.sql, script=True) for b in blocks]
    count, findings = analyze.analyze_all(project_catalog, checked)
    assert [str(f) for f in findings] == []
    assert count == len(blocks)


def test_a_timestamp_compared_with_a_date_in_the_runbook_would_be_rejected(project_catalog: Catalog) -> None:
    wrong = "select run_id from etl_runs where started_at >= date_sub(current_date(), interval 7 day)"
    _, findings = analyze.analyze_all(project_catalog, [statements.Statement("docs/runbook.md:1", wrong,
                                                                             script=True)])
    assert len(findings) == 1 and "TIMESTAMP, DATE" in findings[0].message


def prose(text: str) -> str:
    return _ANY_FENCE.sub("", text)


def known_names(project: Catalog) -> set[str]:
    """Tables, views and their columns; request fields, counts keys and scopes of the functions; the runbook's own
    query aliases; alert types; Terraform variables (and the attributes of `jobs`) and log-based metrics."""
    names = set(project.schemas) | {column for columns in project.schemas.values() for column, _ in columns}
    for module in job_modules().values():
        spec = module.SPEC
        names |= set(spec.params_model.model_fields) | set(spec.count_keys)
        names |= set(re.findall(r'result\.scope\("(\w+)"\)', Path(module.__file__ or "").read_text()))
    names |= {alias for block in sql_blocks() for alias in re.findall(r"\bas\s+([a-z_]\w*)", block.sql)}
    names |= set(re.findall(r"'(\w+)' as alert_type", (ROOT / "sql" / "views" / "v_cost_alerts.sql").read_text()))
    terraform = " ".join(p.read_text() for p in (ROOT / "terraform").glob("*.tf"))
    names |= set(re.findall(r'variable "(\w+)"', terraform)) | set(re.findall(r'"(sales_intel_\w+)"', terraform))
    names |= set(re.findall(r"(\w+)\s*=\s*optional\(", terraform))
    names |= set(re.findall(r'variable "dataset_id" \{[^}]*default\s*=\s*"(\w+)"', terraform))
    return names | OAUTH_ERRORS


def test_every_table_view_column_and_field_the_runbook_names_exists(project_catalog: Catalog,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MAILBOXES", json.dumps(example_mailboxes()))
    text = prose(runbook_text())
    named = set(_NAME.findall(text))
    assert {"v_pipeline_health", "manual_mappings", "sync_state", "v_mapping_issues", "not_embedded"} <= named
    assert sorted(named - known_names(project_catalog)) == []
    columns = {table: {c for c, _ in cols} for table, cols in project_catalog.schemas.items()}
    qualified = set(_QUALIFIED.findall(text))
    assert ("etl_runs", "pending_scopes") in qualified
    assert sorted(f"{t}.{c}" for t, c in qualified if c not in columns.get(t, ())) == []


def test_a_misspelt_name_in_the_runbooks_prose_is_caught(project_catalog: Catalog,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MAILBOXES", json.dumps(example_mailboxes()))
    named = set(_NAME.findall(prose("Check `v_etl_statuses` and `etl_runs.status`, `pending_scope`.")))
    assert named - known_names(project_catalog) == {"v_etl_statuses", "pending_scope"}


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces as `-`."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", prose(markdown), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def broken_links(path: Path) -> list[str]:
    broken = []
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", prose(path.read_text())):
        if target.startswith(("http://", "https://")):
            continue
        linked = (path.parent / target).resolve() if target else path
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text())):
            broken.append(f"{target}#{anchor}" if anchor else target)
    return broken


def test_every_link_of_the_runbook_and_to_it_leads_somewhere() -> None:
    assert broken_links(RUNBOOK) == []
    readme = ROOT / "README.md"
    assert [link for link in broken_links(readme) if "runbook" in link or link.startswith("#deploy")] == []
    assert "83-timeouts-and-abandoned-runs" in anchors(runbook_text())


def test_a_link_to_a_missing_heading_or_file_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("## 2. Daily health check\n\n[a](#2-daily-health-check) [b](#2-daily-check) [c](gone.md) "
                    "[d](https://example.com/x#y)\n")
    assert broken_links(page) == ["#2-daily-check", "gone.md"]


def test_every_make_command_in_the_runbook_exists() -> None:
    named = set(_MAKE.findall(runbook_text()))
    assert {"sql", "demo", "serve", "sqlcheck"} <= named
    assert named - make_targets() == set()


def test_make_targets_are_read_from_the_makefile() -> None:
    targets = make_targets()
    assert {"demo", "test", "sql", "schema", "build", "serve", "sqlcheck"} <= targets
    assert "deploy" not in targets and not {t for t in targets if t.startswith("$(")}


def test_every_curl_names_a_function_and_sends_a_body() -> None:
    found = curls()
    names = {e.cloud_name for e in implemented()}
    assert [c.line for c in found if c.function not in names or c.body is None] == []
    assert {c.function for c in found} == names
    assert all("gcloud auth print-identity-token" in cmd for _, cmd in shell_commands(runbook_text())
               if "$FN/" in cmd and "curl" in cmd)


def test_every_curl_body_is_a_valid_request_for_its_function(monkeypatch: pytest.MonkeyPatch) -> None:
    mailboxes = example_mailboxes()
    monkeypatch.setenv("GMAIL_MAILBOXES", json.dumps(mailboxes))
    models = params_models()
    assert importlib.import_module("gmail_settings").configured_mailboxes() == mailboxes
    refused: dict[str, str] = {}
    for curl in curls():
        assert curl.function and curl.body is not None
        try:
            models[curl.function].model_validate(json.loads(curl.body))
        except (ValidationError, json.JSONDecodeError) as exc:
            refused[f"line {curl.line} {curl.function} {curl.body}"] = str(exc).splitlines()[0]
    assert refused == {}


def test_the_body_check_refuses_what_a_function_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_MAILBOXES", json.dumps(example_mailboxes()))
    models = params_models()
    bad: list[tuple[str, Any]] = [
        ("gmail-sync", {"mailbox": "someone-else@acme.com"}), ("gmail-sync", {"since": "2026-01-01"}),
        ("salesforce-sync", {"object_type": "Contract"}), ("dialpad-sync", {"started_after": "2026-01-01"}),
        ("generate-embeddings", {"query": "budget", "limit": 5}), ("account-scoring", {"score_date": "2999-01-01"}),
        ("usage-collect", {"sources": ["openai"]}), ("entity-resolution", {"scope": "everything"}),
    ]
    for name, body in bad:
        with pytest.raises(ValidationError):
            models[name].model_validate(body)


def test_the_parsers_find_what_a_runbook_would_hold() -> None:
    text = ("```sh\ncurl -sS -X POST \"$FN/dialpad-sync\" \\\n  -H 'Content-Type: application/json' "
            "-d '{\"sync_type\": \"full\"}'\ncurl -s http://x/\n```\n\n```sql dml\ndelete from alerts where true\n```\n"
            "  ```sql\nselect 1\n  ```\n")
    assert curls(text) == [Curl(2, "dialpad-sync", '{"sync_type": "full"}'), Curl(4, None, None)]
    assert [(b.line, b.dml) for b in sql_blocks(text)] == [(8, True), (11, False)]


def test_the_runbook_is_linked_from_the_readme_whose_deploy_steps_send_valid_bodies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    assert "(docs/runbook.md)" in readme
    monkeypatch.setenv("GMAIL_MAILBOXES", json.dumps(example_mailboxes()))
    models = params_models()
    first_runs = [c for c in curls(readme) if c.function]
    assert [c.function for c in first_runs] == [e.cloud_name for e in implemented()]
    for curl in first_runs:
        assert curl.function and curl.body is not None
        models[curl.function].model_validate(json.loads(curl.body))
