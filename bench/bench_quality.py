"""Benchmark quality against the sandbox world's truth on larger worlds: semantic search (capped recall@10 and
MRR@10 per topic, local model) and account scoring (Spearman of priority_score and budget_likelihood with the
hidden buying intent, precision@10/@20, beside the activity-count baseline).

    .venv/bin/python bench/bench_quality.py [--seeds 11,7] [--scale 2]

Per world (seed, scale): the Salesforce, Dialpad and Gmail syncs, entity resolution and generate-embeddings run
through their HTTP entry points into a temporary DuckDB warehouse; then the search queries, and account-scoring for
the day after the world's anchor (tests/integration/emb_quality.py and scoring_quality.py define the metrics; the
tests in tests/integration/test_world_quality.py check the floors on seed 11, scale 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.world import build_world  # noqa: E402
from tests.integration import emb_quality, scoring_quality  # noqa: E402
from tools.invoke import invoke  # noqa: E402
from tools.pipeline import by_cloud_name  # noqa: E402

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="11,7", help="comma-separated world seeds")
    parser.add_argument("--scale", type=int, default=2, help="world scale")
    args = parser.parse_args(argv)
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        world = build_world(seed=seed, scale=args.scale, anchor=ANCHOR)
        with tempfile.TemporaryDirectory() as folder, \
                emb_quality.embedded_world(world, f"duckdb:///{Path(folder) / 'wh.duckdb'}") as warehouse:
            loaded = time.perf_counter() - started
            retrieval = emb_quality.measure(world, warehouse)
            day = (ANCHOR + dt.timedelta(days=1)).date().isoformat()
            status, answer = invoke(by_cloud_name("account-scoring"), {"score_date": day})
            assert status == 200 and answer["status"] == "success", answer
            scoring = scoring_quality.measure(world, warehouse, answer["run_id"])
        print(f"\nworld seed {seed}, scale {args.scale}: loaded and embedded in {loaded:.0f} s, "
              f"measured in {time.perf_counter() - started - loaded:.1f} s")
        print(retrieval.report())
        print(f"\naccount scoring on {day}: " + scoring.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
