"""The function-by-scenario table and the notes behind each line."""

from __future__ import annotations

from collections.abc import Iterable

from tools.reliability.runner import Outcome
from tools.table import render


def _yes(flag: bool | None) -> str:
    return "n/a" if flag is None else "yes" if flag else "no"


def table(outcomes: Iterable[Outcome]) -> str:
    return render([{"function": o.function, "scenario": o.scenario, "injected": _yes(o.played.injected),
                    "survived": _yes(o.played.survived), "rows lost": o.lost, "duplicates": o.duplicates,
                    "cursor ahead": _yes(o.ahead), "result": "ok" if o.passed else "FAIL"} for o in outcomes],
                  max_width=0)


def notes(outcomes: Iterable[Outcome]) -> str:
    return "\n".join(f"{o.function} / {o.scenario}: " + " | ".join([*o.played.notes, *_tables(o)]) for o in outcomes)


def _tables(outcome: Outcome) -> list[str]:
    return [f"{table}: {lost} lost, {duplicates} duplicated or unexpected"
            for table, (lost, duplicates) in sorted(outcome.tables.items())]
