from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shared import entrypoint, http  # noqa: E402
from shared.warehouse import Warehouse, connect  # noqa: E402


class FakeClock:
    """A monotonic clock that only moves when told to; `sleep` advances it and records the wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    wh = connect("duckdb:///:memory:")
    wh.ensure_schema()
    yield wh
    wh.close()


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    http.reset_shared_state()
    entrypoint.reset_runtimes()
    yield
    entrypoint.reset_runtimes()
    http.reset_shared_state()
