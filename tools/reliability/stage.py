"""One function on one warehouse file: invoke it through its HTTP entry point, read its ledger and tables."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.server import Sandbox
from shared import entrypoint, http
from shared.warehouse import connect
from tools.invoke import invoke
from tools.pipeline import FunctionEntry
from tools.reliability.compare import Snapshot, snapshot


@dataclass
class Stage:
    entry: FunctionEntry
    db_path: Path
    env: dict[str, str]
    sandbox: Sandbox
    """The running fakes: a scenario injects faults (`sandbox.faults`) and reads what was requested (`sandbox.log`)."""
    body: dict[str, Any] | None = None
    """The request every invocation sends (None: the entry's demo body)."""
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"duckdb:///{self.db_path}"

    def fresh_instance(self) -> None:
        """Drop cached settings, warehouse connections, sessions and breakers, as a new instance starts bare."""
        entrypoint.reset_runtimes()
        http.reset_shared_state()

    def settings(self, extra_env: dict[str, str] | None = None) -> dict[str, str]:
        """The environment an invocation runs in."""
        return {**self.env, "WAREHOUSE": self.url, **(extra_env or {})}

    def invoke(self, extra_env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """POST the body, in the current instance (call fresh_instance first to start a new one)."""
        with environment(self.settings(extra_env)):
            return self.deliver()

    def deliver(self) -> tuple[int, dict[str, Any]]:
        """POST the body in the environment as it is: for concurrent deliveries, which share one environment
        (setting and restoring it per thread would race and leave it changed)."""
        answer = invoke(self.entry, self.body)
        self.answers.append(answer)
        return answer

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        warehouse = connect(self.url)
        try:
            return warehouse.query(sql, params)
        finally:
            warehouse.close()

    def snapshot(self) -> Snapshot:
        entrypoint.reset_runtimes()
        warehouse = connect(self.url)
        try:
            return snapshot(warehouse)
        finally:
            warehouse.close()

    def runs(self) -> list[dict[str, Any]]:
        return self.query("jobs/reliability_function_runs.sql", {"function_name": self.entry.cloud_name})


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
