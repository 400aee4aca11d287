"""Benchmark generate-embeddings on 2 cores, in three parts (`--parts batch,e2e,search`, default all):

- batch: the local embedder (int8 ONNX all-MiniLM-L6-v2, 2 onnxruntime threads, pinned to 2 cores): texts/s and
  peak RSS at batch sizes 16, 64 and 256 over synthetic ~100-word texts cut from the sandbox world's emails;
- e2e: rows/s of the job through its HTTP entry point on a DuckDB warehouse of `--e2e-rows` emails, MERGE
  included, seconds split into model load / selection / text / embedding / MERGE, MERGE statements, peak RSS,
  then an unchanged second run (embeds 0); and the naive baseline `e2e per-row` (EMBEDDING_MERGE_ROWS=1: each
  row embedded alone and written by its own MERGE) on a copy of the same warehouse (`--no-per-row-baseline`
  skips it);
- search: `emb_search.search` latency at `--search-rows` embedded rows per kind on DuckDB (random unit vectors),
  without filters, with `account_id` and with `since`, and the largest/smallest size ratio.

    .venv/bin/python bench/bench_embeddings.py [--parts batch,e2e,search] [--texts 1000] [--words 100]
        [--batch-sizes 16,64,256] [--e2e-rows 1000] [--no-per-row-baseline] [--search-rows 10000,100000]
        [--searches 5] [--json PATH]

Each batch size, the end-to-end runs and each search size run in their own process, so each peak RSS (the
process's VmHWM) is that measurement's alone. The e2e and search parts live in bench_embedding_pipeline.py.
`--json` also writes every part's figures for bench/report.py (variants `batch 16`, `batch 64`, `batch 256`,
`e2e first`, `e2e unchanged`, `e2e per-row` with `baseline_of` `e2e first`, `search <kind>/<filter>`).
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "functions" / "generate_embeddings"))

from sandbox.world import build_world  # noqa: E402

CORES = 2


def synthetic_texts(count: int, words: int) -> list[str]:
    """`count` texts of `words` words each, cut in order from the world's emails (cycled if needed)."""
    world = build_world(seed=7, scale=1)
    stream = [w for e in world.emails for w in f"{e.subject}. {e.body}".split()]
    needed = count * words
    stream = (stream * (needed // len(stream) + 1))[:needed]
    return [" ".join(stream[i:i + words]) for i in range(0, needed, words)]


def peak_rss_mb() -> float:
    """This process's own peak RSS (/proc's VmHWM; getrusage would include the parent's across exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pin_cores() -> None:
    if hasattr(os, "sched_setaffinity"):
        available = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, available[:CORES])


def child(batch_size: int, count: int, words: int) -> dict[str, float]:
    pin_cores()
    texts = synthetic_texts(count, words)
    started = time.perf_counter()
    from emb_local import LocalEmbedder

    embedder = LocalEmbedder(batch_size=batch_size, threads=CORES)
    load_s = time.perf_counter() - started
    pieces = sum(len(w) for windows in embedder.windows(texts) for w in windows) / len(texts)
    rss_loaded = peak_rss_mb()
    cpu0, started = time.process_time(), time.perf_counter()
    vectors = embedder.embed_documents(texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    assert len(vectors) == len(texts)
    return {"batch": batch_size, "texts": len(texts), "pieces": pieces, "load_s": load_s, "seconds": seconds,
            "texts_per_s": len(texts) / seconds, "cpu_ms_per_text": 1000 * cpu / len(texts),
            "rss_loaded_mb": rss_loaded, "rss_mb": peak_rss_mb()}


def run_batches(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Prints the batch table; returns bench/report.py's figures, one per batch size."""
    results = []
    for batch_size in (int(b) for b in args.batch_sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--child", str(batch_size), "--texts", str(args.texts),
                              "--words", str(args.words)], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.splitlines()[-1]))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"local embedder (all-MiniLM-L6-v2 int8 ONNX), {CORES} threads on {CORES} cores, "
          f"{args.texts} texts of {args.words} words, 1-min load average at the end {load:.1f}")
    print(f"{'batch':>5} {'texts':>6} {'pieces/text':>11} {'load s':>6} {'seconds':>8} {'texts/s':>8} "
          f"{'CPU ms/text':>11} {'RSS loaded MB':>13} {'peak RSS MB':>11}")
    for r in results:
        print(f"{r['batch']:>5} {r['texts']:>6} {r['pieces']:>11.0f} {r['load_s']:>6.2f} {r['seconds']:>8.2f} "
              f"{r['texts_per_s']:>8.1f} {r['cpu_ms_per_text']:>11.0f} {r['rss_loaded_mb']:>13.0f} "
              f"{r['rss_mb']:>11.0f}", flush=True)
    return [{"function": "generate-embeddings", "variant": f"batch {r['batch']}", "size": r["texts"],
             "records": r["texts"], "seconds": r["seconds"], "records_per_s": r["texts_per_s"], "round_trips": None,
             "peak_rss_mb": r["rss_mb"], "statements": None, "load_s": r["load_s"]} for r in results]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="batch,e2e,search", help="comma-separated: batch, e2e, search")
    parser.add_argument("--texts", type=int, default=1000, help="synthetic texts per batch size")
    parser.add_argument("--words", type=int, default=100, help="words per text (batch and e2e)")
    parser.add_argument("--batch-sizes", default="16,64,256", help="comma-separated batch sizes")
    parser.add_argument("--e2e-rows", type=int, default=1000, help="email rows embedded end to end")
    parser.add_argument("--per-row-baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the e2e baseline with EMBEDDING_MERGE_ROWS=1 (default: yes)")
    parser.add_argument("--search-rows", default="10000,100000", help="comma-separated embedded rows per kind")
    parser.add_argument("--searches", type=int, default=5, help="timed searches per case (after a first one)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.texts, args.words)))
        return 0
    parts = set(args.parts.split(","))
    unknown = parts - {"batch", "e2e", "search"}
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}: choose among batch, e2e, search")
    figures = run_batches(args) if "batch" in parts else []
    if parts & {"e2e", "search"}:
        import bench_embedding_pipeline as pipeline

        with tempfile.TemporaryDirectory() as tmp:
            if "e2e" in parts:
                figures += pipeline.run_e2e(args.e2e_rows, args.words, Path(tmp), args.per_row_baseline)
            if "search" in parts:
                figures += pipeline.run_search([int(n) for n in args.search_rows.split(",")], args.searches,
                                               Path(tmp))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
