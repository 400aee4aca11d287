"""Benchmark usage-collect: a 90-day backfill for N engineers and 10xN, through the HTTP entry point against
the sandbox (rate limits lifted: the figures are our code's cost, not the sources' quotas).

    .venv/bin/python bench/bench_usage_collect.py [--scale 1] [--days 90] [--latency-ms 0] [--json figures.json]

Prints records/s (rows collected into raw tables), HTTP round trips per 1000 records, the model rebuild's
share and peak RSS, for world scale N and 10xN (16 engineers per scale unit). `--latency-ms` delays every
sandbox answer; `--json` also writes the figures (and the run's warehouse statements) for bench/report.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "functions" / "usage_collect"))

from sandbox.apis.cursor import cursor_fake  # noqa: E402
from sandbox.apis.sheets import sheets_fake  # noqa: E402
from sandbox.env import settings_env  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sandbox.world import build_world, default_anchor  # noqa: E402
from shared import entrypoint  # noqa: E402
from shared.log import configure_logging  # noqa: E402
from shared.warehouse import connect  # noqa: E402
from shared.warehouse.base import observe_statements  # noqa: E402
from tools.invoke import invoke  # noqa: E402
from tools.pipeline import by_cloud_name  # noqa: E402

RAW_TABLES = ("raw_anthropic_usage", "raw_anthropic_cost", "raw_anthropic_claude_code", "raw_anthropic_api_keys",
              "raw_cursor_usage", "raw_cursor_usage_events", "raw_cursor_spend", "raw_cursor_members",
              "raw_key_mapping_sheet")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def model_seconds(url: str) -> float:
    """A rebuild of dims, facts and alerts over what the run collected (the set-based SQL on its own)."""
    import usage_model

    warehouse = connect(url)
    try:
        started = time.perf_counter()
        usage_model.build_model(warehouse, dt.datetime.now(dt.UTC))
        warehouse.query("select * from v_cost_alerts")
        return time.perf_counter() - started
    finally:
        warehouse.close()


def bench(scale: int, days: int, workdir: Path, latency_ms: float = 0.0) -> dict[str, float]:
    world = build_world(seed=7, scale=scale, anchor=default_anchor())
    workdir.mkdir(exist_ok=True)
    url = f"duckdb:///{workdir / f'usage_{scale}_{days}.duckdb'}"
    with Sandbox(world) as sandbox:
        cursor_fake(sandbox.app).limit.enabled = False
        sheets_fake(sandbox.app).limit.enabled = False
        if latency_ms:
            sandbox.faults.add("/", status=None, delay=latency_ms / 1000, times=None)
        os.environ.update({**settings_env(sandbox), "WAREHOUSE": url, "LOG_LEVEL": "ERROR",
                           "ANTHROPIC_REQUESTS_PER_SECOND": "100000", "CURSOR_REQUESTS_PER_MINUTE": "1000000",
                           "SHEETS_REQUESTS_PER_MINUTE": "1000000"})
        start = (world.anchor.date() - dt.timedelta(days=days - 1)).isoformat()
        statements: list[str] = []
        started = time.perf_counter()
        with observe_statements(lambda sql, params: statements.append(sql)):
            status, answer = invoke(by_cloud_name("usage-collect"), {"start_date": start})
        seconds = time.perf_counter() - started
        entrypoint.reset_runtimes()
        trips = len(sandbox.log)
    if status != 200:
        raise SystemExit(f"usage-collect answered {status}: {answer}")
    records = sum(answer["counts"].get(t, 0) for t in RAW_TABLES)
    return {"engineers": len(world.engineers), "records": records, "seconds": seconds,
            "records_per_s": records / seconds, "trips": trips, "trips_per_1000": 1000 * trips / max(records, 1),
            "model_s": model_seconds(url), "rss_mb": peak_rss_mb(), "statements": len(statements)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="world scale N (the second run uses 10xN)")
    parser.add_argument("--days", type=int, default=90, help="days backfilled")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every sandbox answer")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    args = parser.parse_args(argv)
    with Path(os.devnull).open("w") as devnull, tempfile.TemporaryDirectory() as workdir:
        configure_logging("ERROR", stream=devnull)
        bench(1, 1, Path(workdir) / "warm-up")  # imports and first-use costs out of the figures
        scales = (args.scale, 10 * args.scale)
        results = [bench(scale, args.days, Path(workdir), args.latency_ms) for scale in scales]
    print(f"usage-collect, {args.days}-day backfill (world holds 45 days of usage)")
    print(f"{'engineers':>9} {'records':>8} {'seconds':>8} {'records/s':>10} {'round trips':>11} "
          f"{'trips/1000':>10} {'model s':>8} {'peak RSS MB':>11}")
    for r in results:
        print(f"{r['engineers']:>9.0f} {r['records']:>8.0f} {r['seconds']:>8.2f} {r['records_per_s']:>10.0f} "
              f"{r['trips']:>11.0f} {r['trips_per_1000']:>10.1f} {r['model_s']:>8.2f} {r['rss_mb']:>11.0f}")
    small, large = results
    print(f"10x engineers: {large['records'] / small['records']:.1f}x records, "
          f"{large['seconds'] / small['seconds']:.1f}x time, {large['trips'] / small['trips']:.1f}x round trips")
    if args.json:
        figures = [{"function": "usage-collect", "variant": f"{args.days}-day backfill", "size": r["engineers"],
                    "records": r["records"], "seconds": r["seconds"], "records_per_s": r["records_per_s"],
                    "round_trips": r["trips"], "peak_rss_mb": r["rss_mb"], "statements": r["statements"],
                    "model_s": r["model_s"], "latency_ms": args.latency_ms} for r in results]
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
