"""`make sql` / `make sqlcheck` through make itself: the query reaches the tool byte for byte, WAREHOUSE comes from
the command line, the environment or `.env` (in that order), output shows NULL apart from '' and full values on
request, and errors are one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import sql as sql_tool

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
ZETASQL_STAMP = "tools/sqlcheck/node_modules/.installed"  # as the Makefile names it
MAKE_STATE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "WAREHOUSE", "Q", "FILE", "FORMAT", "WIDTH",
              "AUTO_SCHEMA")


def make(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`make -s ARGS` with this interpreter's venv, never rebuilding it (`-o` its stamp)."""
    base = {k: v for k, v in os.environ.items() if k not in MAKE_STATE}
    command = ["make", "-s", "-f", str(ROOT / "Makefile"), "-o", f"{VENV}/.installed", "-o", ZETASQL_STAMP,
               f"VENV={VENV}", f"PY={sys.executable}", *args]
    return subprocess.run(command, cwd=cwd, env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def warehouse_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'w.duckdb'}"


def sql_json(url: str, query: str) -> list[dict[str, object]]:
    done = make("sql", f"WAREHOUSE={url}", "FORMAT=json", f"Q={query}")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


@pytest.mark.parametrize(("query", "expected"), [
    ("select count(*) as n from `etl_runs`", {"n": 0}),
    ("select regexp_contains('gmail-sync', r'sync$') as m, regexp_replace('a$b', r'\\$', '-') as r",
     {"m": True, "r": "a-b"}),
    ("select json_value('{\"a\": {\"b\": \"x\"}}', '$.a.b') as j, \"double\" as d, 'it\\'s' as s",
     {"j": "x", "d": "double", "s": "it's"}),
    ("select '$(shell echo made)' as m, '$$HOME $HOME ${HOME}' as h, '\\\\n' as b",
     {"m": "$(shell echo made)", "h": "$$HOME $HOME ${HOME}", "b": "\\n"}),
])
def test_make_sql_passes_the_query_byte_for_byte(warehouse_url: str, query: str,
                                                 expected: dict[str, object]) -> None:
    assert sql_json(warehouse_url, query) == [expected]


def test_make_sql_never_runs_the_query_as_a_shell_command(warehouse_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for query in (f"select `touch {marker}` from etl_runs", f"select 1 as x -- $(touch {marker})",
                  f"select \"$(touch {marker})\" as x", f"select 1 as x; touch {marker}"):
        make("sql", f"WAREHOUSE={warehouse_url}", f"Q={query}")
        assert not marker.exists(), query


def test_make_sql_without_a_query_prints_usage() -> None:
    done = make("sql")
    assert done.returncode != 0 and "usage: make sql Q=" in done.stdout and "FORMAT=" in done.stdout


def test_make_sqlcheck_analyzes_the_exact_query_and_file(tmp_path: Path) -> None:
    query = ("select regexp_contains(function_name, r'sync$') as m, json_value('{\"a\": 1}', '$.a') as j, "
             "\"dq\" as d, `touch pwned` from `etl_runs`")
    done = make("sqlcheck", f"Q={query}", cwd=tmp_path)
    assert done.returncode != 0 and not (tmp_path / "pwned").exists()
    assert f"  statement: {query}\n" in done.stdout
    assert "Unrecognized name: `touch pwned`" in done.stdout
    odd = tmp_path / "we$ird `name`.sql"
    odd.write_text("select regexp_contains(function_name, r'sync$') as m from `etl_runs`\n")
    done = make("sqlcheck", f"FILE={odd}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 statements analyzed" in done.stdout and "0 rejected" in done.stdout


def test_warehouse_comes_from_dotenv_unless_given(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"WAREHOUSE=duckdb:///{tmp_path / 'from_dotenv.duckdb'}\n")
    assert make("sql", "Q=select 1 as x", cwd=tmp_path).returncode == 0
    assert (tmp_path / "from_dotenv.duckdb").exists()
    assert not (tmp_path / ".local").exists()
    assert make("sql", f"WAREHOUSE=duckdb:///{tmp_path / 'from_cli.duckdb'}", "Q=select 1 as x",
                cwd=tmp_path).returncode == 0
    assert (tmp_path / "from_cli.duckdb").exists()
    assert make("sql", "Q=select 1 as x", cwd=tmp_path,
                env={"WAREHOUSE": f"duckdb:///{tmp_path / 'from_env.duckdb'}"}).returncode == 0
    assert (tmp_path / "from_env.duckdb").exists()
    other = tmp_path / "schema_only"
    other.mkdir()
    (other / ".env").write_text(f"WAREHOUSE=duckdb:///{other / 'schema.duckdb'}\n")
    assert make("schema", cwd=other).returncode == 0
    assert (other / "schema.duckdb").exists() and not (other / ".local").exists()


def test_without_dotenv_the_default_is_the_local_file(tmp_path: Path) -> None:
    assert make("sql", "Q=select 1 as x", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".local" / "warehouse.duckdb").exists()


def test_null_and_empty_string_print_differently_and_widths_are_chosen(warehouse_url: str) -> None:
    long = "x" * 60
    query = f"select cast(null as string) as n, '' as e, 'NULL!' as t, '{long}' as l"
    table = make("sql", f"WAREHOUSE={warehouse_url}", f"Q={query}")
    assert table.returncode == 0, table.stderr
    header, _, row, count = table.stdout.splitlines()
    assert header.split() == ["n", "e", "t", "l"]
    assert row.split()[:3] == ["NULL", "''", "NULL!"] and row.split()[3] == "x" * 39 + "…"
    assert count == "(1 row)"
    full = make("sql", f"WAREHOUSE={warehouse_url}", "WIDTH=0", f"Q={query}")
    assert full.stdout.splitlines()[2].split()[3] == long
    vertical = make("sql", f"WAREHOUSE={warehouse_url}", "FORMAT=vertical", f"Q={query}")
    assert vertical.stdout.splitlines()[1:5] == ["n | NULL", "e | ''", "t | NULL!", f"l | {long}"]
    assert sql_json(warehouse_url, query) == [{"n": None, "e": "", "t": "NULL!", "l": long}]


def test_json_output_keeps_types_readable(warehouse_url: str) -> None:
    rows = sql_json(warehouse_url, "select numeric '1.5' as n, timestamp '2026-01-02 03:04:05+00' as ts, "
                                   "['a', 'b'] as a, struct(1 as k) as s, b'hi' as b, date '2026-01-02' as d")
    assert rows == [{"n": "1.500000000", "ts": "2026-01-02T03:04:05+00:00", "a": ["a", "b"], "s": {"k": 1},
                     "b": "aGk=", "d": "2026-01-02"}]


def test_output_has_no_escape_codes_and_errors_are_one_line(warehouse_url: str) -> None:
    for query, message in [
        ("select 1; select 2", "error: one statement per query: this text holds 2; run them one at a time"),
        ("select from where", "error: syntax error at line 1, column 17: Expected table name but got 'where'"),
        ("select * from no_such_table", "error: Catalog Error: Table with name no_such_table does not exist!"),
    ]:
        done = make("sql", f"WAREHOUSE={warehouse_url}", f"Q={query}")
        assert done.returncode != 0
        lines = [line for line in done.stderr.splitlines() if not line.startswith("make: ***")]
        assert len(lines) == 1 and lines[0].startswith(message), done.stderr
        assert "\x1b" not in done.stderr + done.stdout
        assert not any(name in lines[0] for name in ("sqlglot", "duckdb", "Token", "Exception", "Traceback"))


@pytest.fixture
def held_warehouse(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """The warehouse file held open by another process, as `make serve` holds it."""
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
                               "time.sleep(60)", str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
    yield path, holder.pid
    holder.kill()
    holder.wait()


def test_a_locked_warehouse_is_one_line_naming_the_holder(held_warehouse: tuple[Path, int]) -> None:
    path, pid = held_warehouse
    started = time.monotonic()
    done = make("sql", f"WAREHOUSE=duckdb:///{path}", "Q=select 1")
    assert done.returncode != 0 and time.monotonic() - started < 60
    lines = [line for line in done.stderr.splitlines() if not line.startswith("make: ***")]
    assert lines == [f"error: warehouse {path} is locked by another process (pid {pid}): stop `make serve` "
                     "first, or use another WAREHOUSE file"]


def test_make_schema_on_a_locked_warehouse_is_one_line(held_warehouse: tuple[Path, int]) -> None:
    path, pid = held_warehouse
    done = make("schema", f"WAREHOUSE=duckdb:///{path}")
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if not line.startswith("make: ***")]
    assert lines == [f"error: warehouse {path} is locked by another process (pid {pid}): stop `make serve` "
                     "first, or use another WAREHOUSE file"]


def test_missing_bigquery_credentials_say_how_to_authenticate_in_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("WAREHOUSE", "bigquery://proj-1/sales_intel")
    monkeypatch.chdir(tmp_path)
    assert sql_tool.main(["select 1"]) == 1
    assert capsys.readouterr().err == f"error: {sql_tool._CREDENTIALS}\n"


def test_the_tool_prints_null_apart_from_empty_in_process(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WAREHOUSE", f"duckdb:///{tmp_path / 'w.duckdb'}")
    monkeypatch.setenv("AUTO_SCHEMA", "false")
    assert sql_tool.main(["--format", "vertical", "select cast(null as string) as n, '' as e"]) == 0
    assert capsys.readouterr().out.splitlines()[1:3] == ["n | NULL", "e | ''"]


def test_duckdb_draws_no_progress_bar_into_piped_output(tmp_path: Path) -> None:
    """DuckDB's progress bar (carriage returns and block characters on stdout during a query over ~2 s) is off
    when stdout is not a terminal, as under make with a pipe; pytest's captured stdout is not one either."""
    from shared.warehouse.duckdb_backend import DuckDBWarehouse

    assert not sys.stdout.isatty()
    warehouse = DuckDBWarehouse(str(tmp_path / "w.duckdb"))
    try:
        assert warehouse._con.execute("select current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        warehouse.close()
