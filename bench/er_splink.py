"""The peer of bench_quality.py's entity-resolution comparison: Splink (DuckDB backend) linking mail participants
to Salesforce contacts. It runs in its own virtual environment (`make .venv-splink`, bench/requirements-splink.txt),
never in the product's: Splink pins its own DuckDB.

    .venv-splink/bin/python bench/er_splink.py --input DIR --out PATH [--threshold 0.9]

DIR holds `participants.jsonl` (unique_id, email, domain, first_name, last_name) and
`contacts.jsonl` (the same columns, unique_id = the contact id), both written by bench_quality.py from the
warehouse. The model is Splink's usual one for this shape of data: email (exact, exact username, Jaro-Winkler),
first and last name (Splink's name comparisons) and exact domain; u from random pairs, m by expectation
maximisation in two blocked sessions (domain, then email), prediction blocked on email, domain and last name.
Each participant takes its most probable contact at or above `--threshold`. PATH receives JSON:
{"seconds": training + prediction, "matches": {unique_id: [contact_id, match_probability]}}.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.EmailComparison("email"),
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.ExactMatch("domain"),
        ],
        blocking_rules_to_generate_predictions=[block_on("email"), block_on("domain"), block_on("last_name")],
        retain_intermediate_calculation_columns=False,
    )


def link(folder: Path, threshold: float) -> tuple[float, dict[str, tuple[str, float]]]:
    started = time.perf_counter()
    connection = duckdb.connect()
    db_api = DuckDBAPI(connection)
    left = db_api.register(connection.read_json(str(folder / "participants.jsonl")),
                           dataset_display_name="participants")
    right = db_api.register(connection.read_json(str(folder / "contacts.jsonl")),
                            dataset_display_name="contacts")
    linker = Linker([left, right], settings(), log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=10_000_000, seed=11)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("domain"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    best: dict[str, tuple[str, float]] = {}
    for row in predictions.as_record_list():
        # link_only puts the first registered table (participants) on the left
        participant, contact = str(row["unique_id_l"]), str(row["unique_id_r"])
        if row["source_dataset_l"] != "participants":
            participant, contact = contact, participant
        probability = float(row["match_probability"])
        if participant not in best or (probability, contact) > (best[participant][1], best[participant][0]):
            best[participant] = (contact, probability)
    return time.perf_counter() - started, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=0.9, help="least match probability kept (default 0.9)")
    args = parser.parse_args(argv)
    seconds, matches = link(args.input, args.threshold)
    args.out.write_text(json.dumps({"seconds": seconds, "matches": matches}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
