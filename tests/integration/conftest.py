from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from sandbox.server import Sandbox
from sandbox.world import World, build_world

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=11, scale=1, anchor=ANCHOR)


@pytest.fixture(scope="module")
def running_sandbox(world: World) -> Iterator[Sandbox]:
    with Sandbox(world) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running_sandbox: Sandbox) -> Iterator[Sandbox]:
    running_sandbox.log.clear()
    running_sandbox.faults.clear()
    yield running_sandbox
    running_sandbox.faults.clear()
