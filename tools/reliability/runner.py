"""Runs the scenarios per function on one sandbox world and judges them against the clean pipeline run.

The clean pass runs the seven functions in pipeline order on one warehouse and keeps a copy of the warehouse
file before each function: a scenario of function F starts from a copy of the state F's clean run started from,
so it runs on what its upstream functions leave, and F's clean run is its reference.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.apis.cursor import cursor_fake
from sandbox.apis.dialpad import dialpad_fake
from sandbox.apis.sheets import sheets_fake
from sandbox.apis.vertex import vertex_fake
from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import build_world
from shared import entrypoint
from shared.log import configure_logging
from shared.warehouse import connect
from tools.pipeline import PIPELINE, FunctionEntry
from tools.reliability import compare
from tools.reliability.cursors import RULES
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.stage import Stage

HARNESS_ENV = {
    "AUTO_SCHEMA": "false", "HTTP_BACKOFF_BASE": "0", "LOG_LEVEL": "INFO",
    "SALESFORCE_BATCH_SIZE": "200", "GMAIL_PAGE_SIZE": "50", "GMAIL_MAX_WORKERS": "1", "DIALPAD_WINDOW_DAYS": "45",
    "DIALPAD_BATCH_SIZE": "50", "DIALPAD_TRANSCRIPT_BATCH_SIZE": "10", "DIALPAD_LIST_RATE_PER_SECOND": "1000",
    "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "1000", "USAGE_BATCH_ROWS": "500", "ANTHROPIC_REQUESTS_PER_SECOND": "1000",
    "CURSOR_REQUESTS_PER_MINUTE": "100000", "SHEETS_REQUESTS_PER_MINUTE": "100000", "EMBEDDER": "vertex",
    "GOOGLE_CLOUD_PROJECT": "reliability-project",
}
"""Applied to the clean and the scenario runs alike: small batches so that every sync commits several, one
gmail worker so that "the Nth write" is the same write in every run, the sources' pacing lifted (the fakes'
limits are off too) and generate-embeddings on the Vertex fake, its production source, rather than the local
model (which would take most of the suite's time)."""
BODIES = {"generate-embeddings": {"limit": 5000}}
"""Bodies other than the demo's: the demo embeds at most 150 rows per run, so a second run would embed more and
differ from the clean run by design; the harness embeds everything, so that a rerun has nothing left to do."""


@dataclass(frozen=True)
class Outcome:
    function: str
    scenario: str
    played: Played
    tables: dict[str, tuple[int, int]]
    """Table → (rows lost, duplicates) where either is not 0."""
    ahead: bool | None

    @property
    def lost(self) -> int:
        return sum(lost for lost, _ in self.tables.values())

    @property
    def duplicates(self) -> int:
        return sum(duplicates for _, duplicates in self.tables.values())

    @property
    def passed(self) -> bool:
        return self.played.survived and self.lost == 0 and self.duplicates == 0 and not self.ahead

    def to_json(self) -> dict[str, Any]:
        """What the report needs (the snapshot right after the fault stays behind)."""
        return {"function": self.function, "scenario": self.scenario, "injected": self.played.injected,
                "survived": self.played.survived, "notes": self.played.notes,
                "tables": {t: list(f) for t, f in self.tables.items()}, "ahead": self.ahead}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        played = Played(data["injected"], data["survived"], list(data["notes"]))
        tables = {t: (int(f[0]), int(f[1])) for t, f in data["tables"].items()}
        return cls(data["function"], data["scenario"], played, tables, data["ahead"])


Tamper = Callable[[Stage], None]
"""Run after a scenario, before judging (the harness's own test breaks a rerun with it)."""


def run(functions: list[FunctionEntry], scenarios: list[Scenario], seed: int = 11, scale: int = 1,
        workdir: Path | None = None, tamper: Tamper | None = None,
        shard: tuple[int, int] = (0, 1)) -> Iterator[Outcome]:
    """Judge every scenario that applies to each function; `shard` (k, n) plays only the cases numbered k modulo
    n (in function-then-scenario order), so n processes can share the suite."""
    number = 0
    with contextlib_dir(workdir) as root, Sandbox(build_world(seed, scale)) as sandbox:
        lift_limits(sandbox)
        env = {**settings_env(sandbox), **HARNESS_ENV}
        configure_logging("INFO", stream=io.StringIO())
        try:
            for entry, before, clean in clean_pass(functions, root, env, sandbox):
                for scenario in scenarios:
                    if not scenario.applies(entry):
                        continue
                    number += 1
                    if (number - 1) % shard[1] == shard[0]:
                        yield judge(entry, scenario, before, clean, root, env, sandbox, tamper)
        finally:
            entrypoint.reset_runtimes()
            configure_logging(stream=None)


def lift_limits(sandbox: Sandbox) -> None:
    """The fakes' rate limits are tested in tests/sandbox; here they would only slow the runs."""
    dialpad_fake(sandbox.app).limits.enabled = False
    cursor_fake(sandbox.app).limit.enabled = False
    sheets_fake(sandbox.app).limit.enabled = False
    vertex_fake(sandbox.app).per_minute = 1_000_000


def clean_pass(functions: list[FunctionEntry], root: Path, env: dict[str, str], sandbox: Sandbox
               ) -> Iterator[tuple[FunctionEntry, Path, compare.Snapshot]]:
    """Each requested function with the warehouse file its clean run started from and that run's tables."""
    last = max(PIPELINE.index(f) for f in functions)
    current = root / "clean.duckdb"
    warehouse = connect(f"duckdb:///{current}")
    warehouse.ensure_schema()
    warehouse.close()
    for entry in PIPELINE[: last + 1]:
        before = root / f"before-{entry.folder}.duckdb"
        shutil.copyfile(current, before)
        stage = Stage(entry, current, env, sandbox, BODIES.get(entry.cloud_name))
        stage.fresh_instance()
        status, answer = stage.invoke()
        if status != 200 or answer.get("status") != "success":
            raise RuntimeError(f"the clean run of {entry.cloud_name} did not succeed: HTTP {status} {answer}")
        if entry in functions:
            yield entry, before, stage.snapshot()
        else:
            entrypoint.reset_runtimes()


def judge(entry: FunctionEntry, scenario: Scenario, before: Path, clean: compare.Snapshot, root: Path,
          env: dict[str, str], sandbox: Sandbox, tamper: Tamper | None) -> Outcome:
    db_path = root / f"{entry.folder}-{scenario.name}.duckdb"
    shutil.copyfile(before, db_path)
    stage = Stage(entry, db_path, env, sandbox, BODIES.get(entry.cloud_name))
    sandbox.faults.clear()
    sandbox.log.clear()
    try:
        played = scenario.play(stage)
    finally:
        sandbox.faults.clear()
    if tamper is not None:
        tamper(stage)
    final = stage.snapshot()
    rule = RULES.get(entry.cloud_name)
    ahead = compare.ahead(rule, clean, played.after_fault) if played.after_fault else None
    ahead_now = compare.ahead(rule, clean, final)
    db_path.unlink(missing_ok=True)
    found = compare.differences(clean, final)
    played.notes.extend(f"{table} (working state, not counted): {lost} rows missing, {extra} left over"
                        for table, (lost, extra) in sorted(found.items()) if table in compare.WORKING_TABLES)
    counted = {table: figures for table, figures in found.items() if table not in compare.WORKING_TABLES}
    return Outcome(entry.cloud_name, scenario.name, played, counted, None if rule is None else bool(ahead or ahead_now))


class contextlib_dir:  # noqa: N801 - used as a context manager like tempfile.TemporaryDirectory
    """`workdir` if given (kept), else a temporary directory (removed)."""

    def __init__(self, workdir: Path | None) -> None:
        self.workdir = workdir
        self._temp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
            return self.workdir
        self._temp = tempfile.TemporaryDirectory(prefix="reliability-")
        return Path(self._temp.name)

    def __exit__(self, *exc: object) -> None:
        if self._temp is not None:
            self._temp.cleanup()
