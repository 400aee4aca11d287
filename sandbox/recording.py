"""Every request the sandbox answers, so tests and benchmarks can count round trips and read what was sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    timestamp: datetime
    status: int
    fault: bool = False
    """True when an injected fault, not the fake API, produced the answer (delay-only faults included)."""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == lowered), None)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


Predicate = Callable[[RecordedRequest], bool]


class RequestLog:
    """Thread-safe, append-only (until `clear`) list of recorded requests, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def matching(self, method: str | None = None, path_prefix: str | None = None, status: int | None = None,
                 where: Predicate | None = None) -> list[RecordedRequest]:
        return [
            item for item in self.all()
            if (method is None or item.method == method.upper())
            and (path_prefix is None or item.path.startswith(path_prefix))
            and (status is None or item.status == status)
            and (where is None or where(item))
        ]

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        return len(self.matching(method, path_prefix))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
