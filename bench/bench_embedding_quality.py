"""Benchmark generate-embeddings' retrieval quality with the local model against the sandbox world's truth:
capped recall@10 and MRR@10 per topic (budget, pricing, procurement, timeline, objection, scheduling).

    .venv/bin/python bench/bench_embedding_quality.py [--seeds 11,7] [--scale 2]

Per world (seed, scale): the Dialpad and Gmail syncs and generate-embeddings run through their HTTP entry points
into a temporary DuckDB warehouse, then each topic's queries run through the function
(tests/integration/emb_quality.py defines corpus, queries and metrics; the test there checks the floor on
seed 11, scale 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.world import build_world  # noqa: E402
from tests.integration.emb_quality import embedded_world, measure  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="11,7", help="comma-separated world seeds")
    parser.add_argument("--scale", type=int, default=2, help="world scale")
    args = parser.parse_args(argv)
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        world = build_world(seed=seed, scale=args.scale)
        with tempfile.TemporaryDirectory() as folder, \
                embedded_world(world, f"duckdb:///{Path(folder) / 'wh.duckdb'}") as warehouse:
            loaded = time.perf_counter() - started
            retrieval = measure(world, warehouse)
        print(f"\nworld seed {seed}, scale {args.scale}: loaded and embedded in {loaded:.0f} s, "
              f"queries in {time.perf_counter() - started - loaded:.1f} s")
        print(retrieval.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
