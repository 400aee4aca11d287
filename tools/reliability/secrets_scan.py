"""The secrets check: no fake credential of the harness environment shows in a log line, an HTTP answer or a
warehouse value.

The secrets are the values of the settings typed `Secret` in any function's settings model (the models loaded in
this process), plus any setting named *_SECRET, *_KEY or *_TOKEN, as the harness environment gives them. The
sandbox's are distinctive ("sandbox-fake-…", "sk-ant-admin01-sandbox-…", "key_sandbox0fake0…"), so a hit is a
leak, not a coincidence.

The runner can use it in two ways: `Scanner.tamper` as the `tamper` of `runner.run` (it scans each scenario's
answers and warehouse before the file is removed, and the log lines written so far), or the two lines the
runner would need to scan its own run: keep the `io.StringIO` it gives `configure_logging` in a variable, and
after the loop call `scan(secret_values(env), logs=buffer.getvalue(), warehouses=[root / "clean.duckdb"])`.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.log import StructuredHandler
from shared.secrets import Secret
from shared.settings import CommonSettings
from shared.sqlfiles import table_files
from shared.warehouse import connect
from tools.reliability.faults import _patched
from tools.reliability.stage import Stage

SECRET_NAME = re.compile(r"_(SECRET|KEY|TOKEN)$")
MIN_LENGTH = 8
"""Shorter values are not searched for (they would match by chance)."""
LEDGER_TABLES = ("etl_run_log", "etl_run_scopes", "sync_state_log")


@dataclass(frozen=True)
class Hit:
    where: str
    """"log line 12", "answer 3 of salesforce-sync", "table sf_accounts"."""
    name: str
    """The setting whose value was found."""


def _is_secret(annotation: Any) -> bool:
    return annotation is Secret or Secret in typing.get_args(annotation)


def _settings_models() -> Iterator[type[CommonSettings]]:
    todo = [CommonSettings]
    while todo:
        model = todo.pop()
        yield model
        todo.extend(model.__subclasses__())


def secret_names() -> set[str]:
    """Environment names of the `Secret` fields of every settings model loaded so far."""
    return {name.upper() for model in _settings_models() for name, info in model.model_fields.items()
            if _is_secret(info.annotation)}


def secret_values(env: Mapping[str, str]) -> dict[str, str]:
    """Setting name → value, for the secret settings `env` sets (values under MIN_LENGTH left out)."""
    names = secret_names()
    return {name: value for name, value in env.items()
            if (name in names or SECRET_NAME.search(name)) and len(value) >= MIN_LENGTH}


def scan_text(where: str, text: str, secrets: Mapping[str, str]) -> list[Hit]:
    """Each secret found in `text`, as written or JSON-escaped."""
    return [Hit(where, name) for name, value in secrets.items()
            if value in text or json.dumps(value)[1:-1] in text]


def scan_logs(text: str, secrets: Mapping[str, str]) -> list[Hit]:
    return [hit for number, line in enumerate(text.splitlines(), 1)
            for hit in scan_text(f"log line {number}", line, secrets)]


def scan_answers(answers: Iterable[tuple[str, tuple[int, dict[str, Any]]]], secrets: Mapping[str, str]) -> list[Hit]:
    """Answers as (function, (HTTP status, JSON body))."""
    return [hit for number, (function, (_, body)) in enumerate(answers, 1)
            for hit in scan_text(f"answer {number} of {function}", json.dumps(body, default=str), secrets)]


def scan_warehouse(path: Path, secrets: Mapping[str, str]) -> list[Hit]:
    """Every value of every table (the ledger's included), as text."""
    warehouse = connect(f"duckdb:///{path}")
    try:
        hits: list[Hit] = []
        for table in sorted({*table_files(), *LEDGER_TABLES}):
            for row in warehouse.query(f"select * from {table}"):
                text = json.dumps(row, default=str, ensure_ascii=False)
                hits.extend(scan_text(f"table {table} of {path.name}", text, secrets))
        return sorted(set(hits), key=lambda h: (h.where, h.name))
    finally:
        warehouse.close()


def scan(secrets: Mapping[str, str], logs: str = "", answers: Iterable[tuple[str, tuple[int, dict[str, Any]]]] = (),
         warehouses: Iterable[Path] = ()) -> list[Hit]:
    return [*scan_logs(logs, secrets), *scan_answers(answers, secrets),
            *(hit for path in warehouses for hit in scan_warehouse(path, secrets))]


def log_buffer() -> io.StringIO | None:
    """The StringIO the structured log handler writes to (the runner's), if it writes to one."""
    handler = next((h for h in logging.getLogger().handlers if isinstance(h, StructuredHandler)), None)
    stream = handler.stream if handler is not None else None
    return stream if isinstance(stream, io.StringIO) else None


@dataclass
class Scanner:
    """Collects what a harness run shows: every answer any stage got, each scenario's warehouse (`tamper`),
    the log lines, and finally the clean pass's warehouse (`finish`)."""

    env: dict[str, str] = field(default_factory=dict)
    """The harness environment: taken from the stages it sees."""
    hits: list[Hit] = field(default_factory=list)
    answers: list[tuple[str, tuple[int, dict[str, Any]]]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    scanned: dict[str, int] = field(default_factory=lambda: {"log lines": 0, "answers": 0, "warehouses": 0})

    @contextlib.contextmanager
    def capturing(self) -> Iterator[Scanner]:
        """Record every answer delivered through a Stage meanwhile (the clean pass's too)."""
        deliver = Stage.deliver
        answers = self.answers

        def recorded(stage: Stage) -> tuple[int, dict[str, Any]]:
            answer = deliver(stage)
            self.env.update(stage.env)
            answers.append((stage.entry.cloud_name, answer))
            return answer

        with _patched(Stage, "deliver", recorded):
            yield self

    def tamper(self, stage: Stage) -> None:
        self.env.update(stage.env)
        self._take_logs()
        self.hits.extend(scan_warehouse(stage.db_path, self.secrets))
        self.scanned["warehouses"] += 1

    def finish(self, warehouses: Iterable[Path] = ()) -> list[Hit]:
        """Scan the answers, the log lines and `warehouses`; returns every hit of the run."""
        self._take_logs()
        text = "".join(self.logs)
        self.hits.extend(scan(self.secrets, logs=text, answers=self.answers))
        for path in warehouses:
            self.hits.extend(scan_warehouse(path, self.secrets))
            self.scanned["warehouses"] += 1
        self.scanned["log lines"], self.scanned["answers"] = len(text.splitlines()), len(self.answers)
        return self.hits

    @property
    def secrets(self) -> dict[str, str]:
        return secret_values(self.env)

    def _take_logs(self) -> None:
        buffer = log_buffer()
        if buffer is not None:
            self.logs.append(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
