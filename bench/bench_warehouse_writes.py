"""Benchmark: warehouse writes, one DML per row (the naive loader) vs stage + one MERGE (ours), on DuckDB.

    .venv/bin/python bench/bench_warehouse_writes.py [--rows 1000 10000] [--json figures.json]

Both methods load the same `sf_contacts` rows (the sandbox world's contacts as salesforce-sync builds them,
copied under new ids up to N) into a fresh warehouse file, through the product's `Warehouse.merge`: `per-row`
calls it once per row, as a loader that upserts record by record would, `merge` once for all of them. Each load
runs in its own child process, so its peak RSS is its own. Printed per size and method: rows/s, warehouse
statements (as `observe_statements` sees them: the DML, not the stage's bulk load), seconds, and ours ÷ the
baseline's. `--json` writes the figures for bench/report.py; the per-row figure names the one it is the baseline
of (`baseline_of`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_salesforce_sync import peak_rss_kib  # noqa: E402

TABLE = "sf_contacts"
SEED = 7
REGION = "US"
METHODS = ("per-row", "merge")
BASELINE_OF = {"per-row": "merge"}


def contact_rows(count: int) -> list[dict[str, Any]]:
    """`count` sf_contacts rows: the world's contacts as the sync builds them, repeated under fresh ids."""
    import datetime as dt

    from functions.salesforce_sync.sfdc_streams import STREAM_BY_OBJECT, build_row
    from sandbox.world import build_world

    stream = STREAM_BY_OBJECT["Contact"]
    synced = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    world = build_world(seed=SEED, scale=1)
    built = [build_row(stream, record, REGION) for record in world.contacts]
    rows = []
    for number in range(count):
        row = dict(built[number % len(built)])
        row.update(contact_id=f"{row['contact_id'][:12]}{number:06d}", _synced_at=synced, _run_id="bench-run")
        rows.append(row)
    return rows


def child(method: str, count: int, path: str) -> None:
    """Runs inside the child process: one load of `count` rows by `method`; prints a JSON line."""
    from shared.warehouse import connect
    from shared.warehouse.base import observe_statements

    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    rows = contact_rows(count)
    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        if method == "per-row":
            changed = sum(warehouse.merge(TABLE, [row]) for row in rows)
        else:
            changed = warehouse.merge(TABLE, rows)
    seconds = time.perf_counter() - started
    stored = warehouse.query(f"select count(*) as n from {TABLE}")[0]["n"]
    warehouse.close()
    print(json.dumps({"seconds": seconds, "statements": len(statements), "changed": changed, "stored": stored,
                      "peak_rss_kib": peak_rss_kib()}))


def run_child(method: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([sys.executable, __file__, "--child", method, str(count), f"{tmp}/wh.duckdb"],
                                capture_output=True, text=True, cwd=ROOT, timeout=3600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"seconds"')]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the {method} child failed ({result.returncode}): {result.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(lines[-1])
    if report["changed"] != count or report["stored"] != count:
        raise SystemExit(f"{method} loaded {report['changed']} rows, the table holds {report['stored']}, not {count}")
    return report


def figure(method: str, count: int, report: dict[str, Any]) -> dict[str, Any]:
    seconds = float(report["seconds"])
    result = {"function": "warehouse-writes", "variant": method, "size": count, "records": count,
              "seconds": seconds, "records_per_s": count / seconds, "statements": int(report["statements"]),
              "peak_rss_mb": report["peak_rss_kib"] / 1024}
    if method in BASELINE_OF:
        result["baseline_of"] = BASELINE_OF[method]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10_000], help="sizes (default 1000 10000)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    print(f"{'method':<8} {'rows':>7} {'seconds':>8} {'rows/s':>9} {'statements':>10} {'peak RSS':>9} "
          f"{'rows/s ours/base':>16} {'statements ours/base':>20}")
    figures: list[dict[str, Any]] = []
    for count in args.rows:
        measured = {method: figure(method, count, run_child(method, count)) for method in METHODS}
        ours = measured["merge"]
        for method, f in measured.items():
            speed = ours["records_per_s"] / f["records_per_s"]
            statements = ours["statements"] / f["statements"]
            print(f"{method:<8} {count:>7} {f['seconds']:>8.2f} {f['records_per_s']:>9.0f} {f['statements']:>10} "
                  f"{f['peak_rss_mb']:>5.0f} MiB {speed:>16.1f} {statements:>20.4g}", flush=True)
        figures += measured.values()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
