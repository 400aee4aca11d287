"""Benchmark: salesforce-sync full syncs from the sandbox at N and 10xN records (default 10k and 100k).

    .venv/bin/python bench/bench_salesforce_sync.py [--records 10000] [--factor 10]
        [--mode rest|bulk|discard|both|all] [--latency-ms 0] [--json figures.json]

The sandbox runs in this process; each sync runs in a child process through the function's HTTP entry point
(the real settings path), so the child's peak RSS is the function's own: memory must stay flat as N grows
because records are paged and merged batch by batch. Printed per run: records, seconds, records/s, HTTP round
trips (as the sandbox counted them) per 1,000 records, and the child's peak RSS. Mode `discard` runs the REST
sync with merges thrown away, separating the sync's own memory from the embedded DuckDB's page cache.
`--latency-ms` delays every sandbox answer; `--json` also writes the figures for bench/report.py.

Mode `bulk` sets SALESFORCE_BULK_THRESHOLD to 0, so every object is read by a Bulk API 2.0 job as a full sync
of an object above the threshold (default 50,000 records) is; `rest` sets it above any object, the REST-only
naive way. At a size where the bulk run did create Bulk jobs, the REST figure names the Bulk one it is the
baseline of (`baseline_of`). `both` is rest and bulk; `all` adds discard.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.env import settings_env  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sandbox.world import World, build_world  # noqa: E402
from sandbox.world_schema import WORLD_LISTS  # noqa: E402

SEED = 7
MODES = ("rest", "bulk", "discard")
MODE_SETS = {"both": ("rest", "bulk"), "all": MODES}


def salesforce_records(world: World) -> int:
    return sum(len(world.records(name)) for name in WORLD_LISTS)


def scale_for(records: int) -> int:
    """World scale that holds about `records` Salesforce records (a scale-10 world holds ~8,100)."""
    return max(1, round(records * 10 / salesforce_records(build_world(seed=SEED, scale=10))))


def child() -> None:
    """Runs inside the child process: one full sync through the HTTP entry point; prints a JSON line."""
    from tools.invoke import invoke
    from tools.pipeline import by_cloud_name

    if os.environ.get("BENCH_DISCARD_ROWS"):
        from shared.warehouse.duckdb_backend import DuckDBWarehouse

        def discard(self: object, table: str, rows: Iterable[object], *args: object, **kwargs: object) -> int:
            return sum(1 for _ in rows)

        DuckDBWarehouse.merge = discard  # type: ignore[method-assign]
    from shared.warehouse.base import observe_statements

    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        status, answer = invoke(by_cloud_name("salesforce-sync"), {"sync_type": "full"})
    print(json.dumps({"status": status, "answer": answer, "seconds": time.perf_counter() - started,
                      "statements": len(statements), "peak_rss_kib": peak_rss_kib()}))


def peak_rss_kib() -> int:
    """This process's peak RSS. Linux keeps getrusage's ru_maxrss across exec, so a child forked from this big
    parent (the world, the sandbox) would report the parent's size; /proc's VmHWM counts only its own image."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(env: dict[str, str]) -> dict[str, object]:
    """The child's JSON report."""
    result = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True,
                            cwd=ROOT, timeout=900, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"status"')]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the sync child failed ({result.returncode}): {result.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def measure(world: World, mode: str, latency_ms: float = 0.0) -> dict[str, float]:
    with Sandbox(world) as sandbox, tempfile.TemporaryDirectory() as tmp:
        if latency_ms:
            sandbox.faults.add("/", status=None, delay=latency_ms / 1000, times=None)
        env = {**os.environ, **settings_env(sandbox), "WAREHOUSE": f"duckdb:///{tmp}/wh.duckdb",
               "LOG_LEVEL": "WARNING", "SALESFORCE_BULK_POLL_SECONDS": "0.05", "SALESFORCE_BATCH_SIZE": "2000",
               "SALESFORCE_BULK_THRESHOLD": "0" if mode == "bulk" else "100000000",
               "BENCH_DISCARD_ROWS": "1" if mode == "discard" else ""}
        report = run_child(env)
        trips = len(sandbox.log)
        bulk_jobs = sum(1 for r in sandbox.log.matching("POST") if r.path.endswith("/jobs/query"))
    answer = report["answer"]
    assert isinstance(answer, dict) and answer["status"] == "success", answer
    records = salesforce_records(world)
    seconds = float(report["seconds"])  # type: ignore[arg-type]
    return {"records": records, "seconds": seconds, "rate": records / seconds,
            "trips_per_1000": trips * 1000 / records, "trips": trips,
            "rss_mib": float(report["peak_rss_kib"]) / 1024,  # type: ignore[arg-type]
            "statements": int(report["statements"]), "bulk_jobs": bulk_jobs}  # type: ignore[call-overload]


def figures_of(measured: dict[str, dict[str, float]], size: int, latency_ms: float) -> list[dict[str, object]]:
    """One size's figures in bench/report.py's shape; REST is the baseline of Bulk where the bulk run used Bulk."""
    figures: list[dict[str, object]] = []
    for mode, m in measured.items():
        figure: dict[str, object] = {
            "function": "salesforce-sync", "variant": mode, "size": size, "records": m["records"],
            "seconds": m["seconds"], "records_per_s": m["rate"], "round_trips": m["trips"],
            "peak_rss_mb": m["rss_mib"], "statements": m["statements"], "bulk_jobs": m["bulk_jobs"],
            "latency_ms": latency_ms}
        if mode == "rest" and measured.get("bulk", {}).get("bulk_jobs"):
            figure["baseline_of"] = "bulk"
        figures.append(figure)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000, help="N, Salesforce records (default 10000)")
    parser.add_argument("--factor", type=int, default=10, help="the larger run is N x factor (default 10)")
    parser.add_argument("--mode", choices=(*MODES, *MODE_SETS), default="all",
                        help="rest, bulk, or discard (REST with merges discarded: the sync's own memory); both: rest "
                             "and bulk; all (default): the three")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every sandbox answer")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    modes = MODE_SETS.get(args.mode, (args.mode,))
    print(f"{'mode':<7} {'records':>8} {'seconds':>8} {'records/s':>10} {'trips':>6} {'trips/1k':>9} "
          f"{'peak RSS':>9}")
    figures = []
    for size in (args.records, args.records * args.factor):
        world = build_world(seed=SEED, scale=scale_for(size))
        measured = {}
        for mode in modes:
            m = measured[mode] = measure(world, mode, args.latency_ms)
            print(f"{mode:<7} {m['records']:>8.0f} {m['seconds']:>8.1f} {m['rate']:>10.0f} {m['trips']:>6.0f} "
                  f"{m['trips_per_1000']:>9.2f} {m['rss_mib']:>5.0f} MiB", flush=True)
        figures += figures_of(measured, size, args.latency_ms)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
