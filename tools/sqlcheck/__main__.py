"""`make sqlcheck`: BigQuery's own analyzer over every SQL text, then the DuckDB-vs-BigQuery differential check.

    python -m tools.sqlcheck                      everything (what make test runs)
    python -m tools.sqlcheck --file sql/views/v_etl_status.sql
    python -m tools.sqlcheck --sql "select count(*) from etl_runs where started_at > current_date()"
    python -m tools.sqlcheck --no-differential    the analyzer only
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

from tools.sqlcheck import analyze, catalog, statements
from tools.sqlcheck.recording import RECORD_ENV
from tools.sqlcheck.zetasql import running
from tools.table import render

ROOT = Path(__file__).resolve().parent.parent.parent
WORKDIR = ROOT / ".local" / "sqlcheck"
UNIT_TESTS_WITH_FAKE_CLIENT = ("tests/unit/test_bigquery_adapter.py",)


def unit_test_statements() -> Path:
    """Run the unit tests that drive the BigQuery backend's fake client, recording what it was sent."""
    WORKDIR.mkdir(parents=True, exist_ok=True)
    target = WORKDIR / "unit_statements.jsonl"
    target.unlink(missing_ok=True)
    subprocess.run([sys.executable,  # noqa: S603 - this interpreter running the project's own tests
                    "-m", "pytest", "-q", "-p", "no:xdist", *UNIT_TESTS_WITH_FAKE_CLIENT],
                   cwd=ROOT, env={**os.environ, RECORD_ENV: str(target)}, check=True,
                   stdout=subprocess.DEVNULL)
    return target


def one_text(text: str, origin: str) -> list[statements.Statement]:
    return [statements.Statement(origin, text, script=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, help="analyze one SQL file only")
    parser.add_argument("--sql", help="analyze one statement only")
    parser.add_argument("--no-differential", action="store_true", help="skip the differential check")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with running() as server:
        project = catalog.build(server)
        findings = [analyze.Finding(origin, "", message) for origin, message in project.errors.items()]
        if args.file or args.sql:
            chosen = one_text(args.file.read_text(), str(args.file)) if args.file else one_text(args.sql, "--sql")
            count, more = analyze.analyze_all(project, chosen)
            return report(count, findings + more, started)
        collected = itertools.chain(
            statements.sql_files(), statements.composed(),
            statements.runtime_composed({name: project.describe(name) for name in statements.runtime_tables()}),
            statements.bigquery_backend(),
            statements.recorded(unit_test_statements(), "unit tests (BigQuery fake client)"), statements.markdown())
        count, more = analyze.analyze_all(project, collected)
        count += len(project.schemas)
        findings += more
        if not args.no_differential:
            return differential(project, count, findings, started, args.seed, args.scale)
        return report(count, findings, started)


def differential(project: catalog.Catalog, count: int, findings: list[analyze.Finding], started: float,
                 seed: int, scale: int) -> int:
    from tools.sqlcheck import differential as diff

    results, records = diff.run(project, WORKDIR / "differential", seed, scale)
    traced = [(sql, diff.parameter_types(sql, params)) for sql, params in records]
    extra, more = analyze.analyze_all(project, statements.traced(traced, "sent by the pipeline run"))
    status = report(count + extra, findings + more, started)
    print(render([{"statement": r.statement, "rows": r.rows, "s": r.seconds,
                   "result": "equal" if r.equal else r.difference}
                  for r in results], max_width=110))
    for label in diff.unexercised(records):
        print(f"(not run by the pipeline, analyzed only: {label})")
    unequal = [r for r in results if not r.equal]
    print(f"differential: {len(results) - len(unequal)} of {len(results)} views and queries equal on DuckDB and "
          f"BigQuery's reference engine (world seed={seed} scale={scale})")
    return 1 if unequal or status else 0


def report(count: int, findings: list[analyze.Finding], started: float) -> int:
    for finding in findings:
        print(f"FAIL {finding}\n")
    print(f"sqlcheck: {count} statements analyzed by ZetaSQL with BigQuery's language options, "
          f"{len(findings)} rejected ({time.monotonic() - started:.1f} s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
