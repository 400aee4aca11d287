"""`make bench`: every function's benchmark, each in its own process, `--runs` times; one report of medians.

    .venv/bin/python bench/report.py [--quick] [--runs 3] [--latency-ms 30] [--only gmail-sync,salesforce-sync]
        [--out bench/report.md] [--merge bench/report.json]

Each bench writes its figures as JSON (`--json PATH`); the runs are interleaved (run 1 of every bench, then run 2,
...) so that a slow spell of the machine spreads over all of them. Every figure is the median of the runs with
their min and max; the ratios of a larger size to the smallest are taken run by run, then summarised the same way.
`--quick` runs tiny sizes (a smoke run: its figures show the harness works, not how fast the functions are).
Beside the report, `<out>.json` keeps its figures, header and settings; `--merge` such a file takes the figures
of the functions this run leaves out (`--only`) from it, so a long report can be measured a few functions at a
time, and the header then says which functions came from which earlier run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("duckdb", "sqlglot", "requests", "google-api-python-client", "simple-salesforce", "onnxruntime")
DASH = "\u2014"
EN_DASH = "\u2013"
TIMES = "\u00d7"

Figure = dict[str, Any]


@dataclass(frozen=True)
class Bench:
    function: str
    script: str
    quick: tuple[str, ...]
    """Arguments for `--quick`; without it the bench runs at its own default sizes."""
    latency: bool
    """The bench takes `--latency-ms` (its sandbox delays every answer)."""
    default: tuple[str, ...] = ()
    """Arguments without `--quick` (the bench's own defaults where empty)."""

    def command(self, quick: bool, latency_ms: float, json_path: Path) -> list[str]:
        args = [sys.executable, str(ROOT / "bench" / self.script), *(self.quick if quick else self.default)]
        if self.latency:
            args += ["--latency-ms", f"{latency_ms:g}"]
        return [*args, "--json", str(json_path)]


BENCHES = (
    Bench("salesforce-sync", "bench_salesforce_sync.py", ("--records", "300", "--mode", "both"), latency=True),
    Bench("dialpad-sync", "bench_dialpad_sync.py", ("--scale", "1"), latency=True),
    Bench("gmail-sync", "bench_gmail_sync.py", ("--messages", "100", "1000", "--batch-sizes", "50"), latency=True),
    Bench("usage-collect", "bench_usage_collect.py", ("--days", "7"), latency=True),
    Bench("entity-resolution", "bench_entity_resolution.py", ("--scale", "0.004", "--per-row-cap", "1000"),
          latency=False),
    Bench("generate-embeddings", "bench_embeddings.py",
          ("--texts", "32", "--batch-sizes", "16", "--e2e-rows", "20", "--search-rows", "200,2000", "--searches", "2"),
          latency=False),
    Bench("account-scoring", "bench_account_scoring.py", ("--accounts", "200", "--activity", "5000", "--embedded",
                                                          "200", "--loop-cap", "50"), latency=False),
    Bench("warehouse-writes", "bench_warehouse_writes.py", ("--rows", "100", "1000"), latency=False),
    Bench("pipeline-incremental", "bench_incremental_requests.py", (), latency=False),
    Bench("quality", "bench_quality.py", ("--seeds", "11", "--scale", "1"), latency=False,
          default=("--seeds", "11", "--scale", "2")),
)

NOTES = """\
- records/s: records the run handled ÷ its seconds. round trips: HTTP requests the sandbox served, per 100
  records. quota: the busiest mailbox's quota units/s over the run ÷ the per-mailbox budget (gmail-sync).
  records/s ÷ quota limit: the messages/s the quota would allow at most, (budget units/s ÷ 5 units a
  messages.get) times mailboxes, against ours (gmail-sync).
  statements: warehouse statements the run sent, ledger included. Ratios: the row's figure ÷ the same figure at
  the smallest size of that function and variant, run by run.
- Each figure is the median of the runs (min to max); one value alone means every run gave it.
- salesforce-sync `discard`: merges thrown away (the sync's own memory). usage-collect runs its sandbox in the
  bench's process, so its peak RSS includes the sandbox world. entity-resolution: seconds as the run ledger timed
  the run. generate-embeddings `batch`: the local embedder alone; `e2e`: seconds less the model load; `search`:
  one search's median, records = rows it scans. account-scoring: records = activity rows scored over.
- ours/baseline: a row's figure ÷ its naive baseline's (the variant that names it in `baseline_of`), at the
  same size, run by run. warehouse-writes `per-row`: one `Warehouse.merge` call (one MERGE) per row.
  entity-resolution `per-row`: one lookup query per participant row (contact, lead, account by domain), against
  `emails full`; account-scoring `per-account loop`: one activity query per account, scored in Python, against
  `first`. "(extrapolated)": the baseline walked a capped sample and its seconds and statements are scaled to
  every row or account at the measured cost per row (records/s follow from them); its peak RSS is the sample's.
- Baselines of the syncs and embeddings: salesforce-sync `rest` (REST only) of `bulk` (every object by a Bulk API
  2.0 job, SALESFORCE_BULK_THRESHOLD 0); dialpad-sync `sequential` (1 transcript worker, at the smaller size) of
  the pooled default; generate-embeddings `e2e per-row` (EMBEDDING_MERGE_ROWS 1: each row embedded alone and
  written by its own MERGE) of `e2e first` (250 rows a batch).
- pipeline-incremental: the source requests of a no-change incremental run of the four syncs after a first run
  of the whole pipeline, per Gmail mailbox (batch parts one by one), Salesforce object (and its token), Dialpad
  endpoint and usage source; the goal is fewer than 20 per scope. A Salesforce object asks getDeleted only once a
  new minute has begun since its last check, so it takes 2 or 3 requests as the clock falls.
- Quality (bench_quality.py): one sandbox world synced, resolved and embedded through the entry points, judged
  against its hidden truth (the product never reads it). judged: the rows or accounts a figure is taken over.
  generate-embeddings: recall@10 capped at the topic's size and MRR@10, averaged over the search topics.
  account-scoring: Spearman of each score with the hidden buying intent, precision@10/@20 of in-market accounts;
  `activity_baseline` ranks by the last 30 days' emails, calls and meetings (a CRM's "most active"), `chance P@k`
  is the in-market share. entity-resolution, on the external mail participants: contact precision (of rows given
  a contact, the share right), contact recall (of rows whose truth is one live contact, the share given it),
  account precision, recall (the most specific true record: contact, else lead, else account) and seconds.
  `ours (set SQL)`: a `scope=emails, full=true` run; `per-row`: bench/er_naive.py over every row (exact email to
  contact or lead, else domain to account); `splink`: Splink 5 with its DuckDB backend (bench/er_splink.py, its own
  venv) linking distinct (address, display name) pairs to live contacts by email, names and domain (u by random
  sampling, m by EM, best contact at match probability >= 0.9); it sees no leads or accounts, so its recall is
  bounded by contact rows, and its seconds are training plus prediction.
"""


# --- figures -----------------------------------------------------------------------------------------------------

def number(value: float) -> str:
    """Three significant figures or so: 12,345 / 123 / 12.3 / 1.23 / 0.123 / 0.000123; a count (an int) whole:
    8, 1,234."""
    if isinstance(value, int):
        return f"{value:,}"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    if 0 < size < 0.01:
        return f"{value:.3g}"
    return f"{value:.3f}"


def spread(values: Iterable[float | None]) -> str:
    """The median with min and max, "12.3 (11.9\u201312.8)"; the value alone when they agree; a dash without
    values."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return DASH
    median = statistics.median(known)
    if all(isinstance(v, int) for v in known) and float(median).is_integer():
        median = int(median)
    middle, low, high = number(median), number(known[0]), number(known[-1])
    return middle if low == high else f"{middle} ({low}{EN_DASH}{high})"


def per_100(figure: Figure) -> float | None:
    trips, records = figure.get("round_trips"), figure.get("records")
    return None if trips is None or not records else 100 * trips / records


def quota_share(figure: Figure) -> float | None:
    units, budget = figure.get("quota_units_per_s"), figure.get("quota_budget_units_per_s")
    return None if units is None or not budget else units / budget


def quota_limit_share(figure: Figure) -> float | None:
    limit = figure.get("quota_limit_records_per_s")
    return ratio(figure.get("records_per_s"), limit)


def ratio(large: float | None, small: float | None) -> float | None:
    return None if large is None or not small else large / small


Metric = Callable[[Figure], float | None]
COLUMNS: tuple[tuple[str, Metric], ...] = (
    ("records", lambda f: f.get("records")),
    ("records/s", lambda f: f.get("records_per_s")),
    ("round trips /100 records", per_100),
    ("quota units/s ÷ budget", quota_share),
    ("records/s ÷ quota limit", quota_limit_share),
    ("peak RSS MB", lambda f: f.get("peak_rss_mb")),
    ("statements", lambda f: f.get("statements")),
)
RATIOS: tuple[tuple[str, Metric], ...] = (
    (f"time {TIMES}", lambda f: f.get("seconds")),
    (f"memory {TIMES}", lambda f: f.get("peak_rss_mb")),
    (f"round trips {TIMES}", lambda f: f.get("round_trips")),
)


BASELINE_RATIOS: tuple[tuple[str, Metric], ...] = (
    ("records/s", lambda f: f.get("records_per_s")),
    ("time", lambda f: f.get("seconds")),
    ("statements", lambda f: f.get("statements")),
    ("round trips", lambda f: f.get("round_trips")),
    ("peak RSS", lambda f: f.get("peak_rss_mb")),
)


def is_request_count(figure: Figure) -> bool:
    """A figure of requests against a goal (pipeline-incremental): its own table, not the main one."""
    return "goal" in figure


def is_quality(figure: Figure) -> bool:
    """A figure of quality against the world's truth (bench_quality.py): its own tables."""
    return "quality" in figure


def grouped(figures: Sequence[Figure]) -> dict[tuple[str, str], dict[float, dict[int, Figure]]]:
    """function, variant → size → run → figure, in the order the figures first name them."""
    groups: dict[tuple[str, str], dict[float, dict[int, Figure]]] = {}
    for figure in figures:
        key = (figure["function"], str(figure.get("variant", "")))
        groups.setdefault(key, {}).setdefault(figure["size"], {})[figure.get("run", 0)] = figure
    return groups


def scale_ratios(larger: dict[int, Figure], smallest: dict[int, Figure]) -> list[str]:
    """Per ratio column: the runs' larger ÷ smallest figures (runs paired by number), summarised."""
    runs = sorted(larger.keys() & smallest.keys())
    return [spread(ratio(metric(larger[r]), metric(smallest[r])) for r in runs) for _, metric in RATIOS]


def size_label(size: float) -> str:
    return f"{int(size):,}" if float(size).is_integer() else f"{size:g}"


def table(figures: Sequence[Figure]) -> list[str]:
    head = ["function", "variant", "size", *(name for name, _ in COLUMNS), *(name for name, _ in RATIOS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for (function, variant), sizes in grouped([f for f in figures if not is_request_count(f)
                                               and not is_quality(f)]).items():
        ordered = sorted(sizes)
        smallest = ordered[0]
        for size in ordered:
            runs = sizes[size]
            label = size_label(size) if size == smallest else f"{size_label(size)} ({size / smallest:g}{TIMES})"
            cells = [spread(metric(f) for f in runs.values()) for _, metric in COLUMNS]
            ratios = scale_ratios(runs, sizes[smallest]) if size != smallest else [DASH] * len(RATIOS)
            lines.append("| " + " | ".join([function, variant, label, *cells, *ratios]) + " |")
    return lines


def baseline_table(figures: Sequence[Figure]) -> list[str]:
    """Per baseline row: ours ÷ the baseline's figure at the same size, runs paired by number; [] without one."""
    groups = grouped([f for f in figures if not is_quality(f)])
    head = ["function", "ours", "baseline", "size", *(f"{name} ours/baseline" for name, _ in BASELINE_RATIOS)]
    lines = []
    for (function, variant), sizes in groups.items():
        for size in sorted(sizes):
            baseline = sizes[size]
            ours_variant = next((str(f["baseline_of"]) for f in baseline.values() if f.get("baseline_of")), "")
            ours = groups.get((function, ours_variant), {}).get(size) if ours_variant else None
            if ours is None:
                continue
            runs = sorted(ours.keys() & baseline.keys())
            cells = [spread(ratio(metric(ours[r]), metric(baseline[r])) for r in runs) for _, metric in BASELINE_RATIOS]
            lines.append("| " + " | ".join([function, ours_variant, variant, size_label(size), *cells]) + " |")
    if not lines:
        return []
    return ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * (len(head) - 3), *lines]


def requests_table(figures: Sequence[Figure]) -> list[str]:
    """Request counts against their goal, per scope (the median of the runs); [] without any."""
    lines = []
    for (function, variant), sizes in grouped([f for f in figures if is_request_count(f)]).items():
        for size in sorted(sizes):
            runs = list(sizes[size].values())
            goal = runs[0].get("goal")
            trips = [f.get("round_trips") for f in runs]
            met = DASH if goal is None else "yes" if all(t is not None and t < goal for t in trips) else "no"
            goal_text = DASH if goal is None else f"< {goal}"
            lines.append("| " + " | ".join([function, variant, size_label(size), spread(trips), goal_text, met]) + " |")
    if not lines:
        return []
    return ["| function | scope | size | requests | goal | met |", "|---|---|---:|---:|---:|---|", *lines]


def quality_tables(figures: Sequence[Figure]) -> list[str]:
    """Per function, its variants' quality metrics (median of the runs, min to max); [] without any."""
    by_function: dict[str, list[tuple[str, dict[float, dict[int, Figure]]]]] = {}
    for (function, variant), sizes in grouped([f for f in figures if is_quality(f)]).items():
        by_function.setdefault(function, []).append((variant, sizes))
    lines: list[str] = []
    for function, variants in by_function.items():
        metrics = list(dict.fromkeys(name for _, sizes in variants for runs in sizes.values()
                                     for f in runs.values() for name in f["quality"]))
        world = next(str(f.get("world", "")) for _, sizes in variants for runs in sizes.values() for f in runs.values())
        lines += [f"{function} (world {world}):" if world else f"{function}:", "",
                  "| variant | judged | " + " | ".join(metrics) + " |", "|---|---:|" + "---:|" * len(metrics)]
        for variant, sizes in variants:
            for size in sorted(sizes):
                runs = sizes[size].values()
                cells = [spread(f["quality"].get(name) for f in runs) for name in metrics]
                lines.append("| " + " | ".join([variant, size_label(size), *cells]) + " |")
        lines.append("")
    return lines


# --- the machine --------------------------------------------------------------------------------------------------

def memory_gib(meminfo: str) -> float | None:
    """MemTotal from /proc/meminfo's text, in GiB."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return None


def cpu_model(cpuinfo: str) -> str | None:
    """The first "model name" of /proc/cpuinfo's text."""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name":
            return value.strip()
    return None


def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{commit} with local changes" if git("status", "--porcelain", "--untracked-files=no") else commit


def machine() -> dict[str, str]:
    """What the figures were measured on, as the report's header states it."""
    memory = memory_gib(read("/proc/meminfo"))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "memory": f"{memory:.1f} GiB" if memory is not None else "unknown",
        "cpu": cpu_model(read("/proc/cpuinfo")) or platform.processor() or "unknown",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(f"{name} {version}" for name, version in package_versions().items()),
        "commit": git_commit(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- the report ---------------------------------------------------------------------------------------------------

def render(figures: Sequence[Figure], header: dict[str, str], settings: str) -> str:
    lines = ["# Benchmark report", "", settings, ""]
    lines += [f"- {name}: {value}" for name, value in header.items()]
    lines += ["", *table(figures), ""]
    baselines = baseline_table(figures)
    if baselines:
        lines += ["Ours against the naive baselines, measured in the same run:", "", *baselines, ""]
    requests = requests_table(figures)
    if requests:
        lines += ["Source requests of a no-change incremental run of the whole pipeline:", "", *requests, ""]
    quality = quality_tables(figures)
    if quality:
        lines += ["Quality against the sandbox world's truth, measured in the same run:", "", *quality]
    lines.append(NOTES)
    return "\n".join(lines)


def run_once(bench: Bench, run: int, quick: bool, latency_ms: float, workdir: Path) -> list[Figure]:
    """One bench in its own process; its figures tagged with the run's number."""
    path = workdir / f"{bench.function}-{run}.json"
    started = time.perf_counter()
    done = subprocess.run(bench.command(quick, latency_ms, path), cwd=ROOT, capture_output=True, text=True,
                          check=False)
    print(f"run {run} {bench.function}: exit {done.returncode} in {time.perf_counter() - started:.0f} s",
          file=sys.stderr, flush=True)
    if done.returncode != 0 or not path.exists():
        raise SystemExit(f"{bench.script} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return [{**figure, "run": run} for figure in json.loads(path.read_text())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of the harness")
    parser.add_argument("--runs", type=int, default=3, help="runs of every bench (default 3)")
    parser.add_argument("--latency-ms", type=float, default=30.0,
                        help="delay per sandbox answer, for the benches that take it (default 30)")
    parser.add_argument("--only", help="comma-separated function names (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "report.md")
    parser.add_argument("--merge", type=Path, help="an earlier <out>.json: its figures of the functions not run now")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else [b.function for b in BENCHES]
    unknown = set(names) - {b.function for b in BENCHES}
    if unknown or args.runs < 1:
        parser.error(f"unknown function(s) {sorted(unknown)}" if unknown else "--runs must be at least 1")
    benches = [b for b in BENCHES if b.function in names]
    header = machine()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as workdir:
        for run in range(1, args.runs + 1):
            for bench in benches:
                figures += run_once(bench, run, args.quick, args.latency_ms, Path(workdir))
    settings = (f"{args.runs} run(s) of each bench, {'quick (tiny) sizes' if args.quick else 'default sizes'}, "
                f"{args.latency_ms:g} ms injected latency per sandbox answer "
                f"({', '.join(b.function for b in benches if b.latency) or 'no bench here takes it'}).")
    run_settings = settings
    if args.merge:
        figures, settings = merged(json.loads(args.merge.read_text()), figures, settings, set(names))
    text = render(figures, header, settings)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps({"header": header, "settings": settings,
                                                         "run_settings": run_settings, "figures": figures},
                                                        indent=1))
    print(text)
    return 0


def merged(earlier: dict[str, Any], figures: list[Figure], settings: str, ran: set[str]) -> tuple[list[Figure], str]:
    """This run's figures and an earlier report's of the functions not run now (bench_quality.py's figures go
    with `quality`); each kept figure remembers the report it was measured in (`origin`, kept through later
    merges), and the settings say which functions came from which."""
    def bench_of(figure: Figure) -> str:
        return "quality" if is_quality(figure) else str(figure["function"])

    when = earlier.get("header", {})
    own = {"commit": when.get("commit", "unknown"), "date": when.get("date", "unknown"),
           "settings": earlier.get("run_settings", earlier.get("settings", ""))}
    kept = [{**f, "origin": f.get("origin", own)} for f in earlier["figures"] if bench_of(f) not in ran]
    by_origin: dict[str, list[str]] = {}
    for figure in kept:
        origin = figure["origin"]
        key = f"commit {origin['commit']}, {origin['date']}: {origin['settings']}"
        by_origin.setdefault(key, [])
        if bench_of(figure) not in by_origin[key]:
            by_origin[key].append(bench_of(figure))
    notes = "".join(f" {', '.join(names)}: from an earlier report ({key})" for key, names in by_origin.items())
    return [*figures, *kept], settings + notes


if __name__ == "__main__":
    sys.exit(main())
