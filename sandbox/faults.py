"""Faults a test switches on for a path: error statuses with Retry-After, slow answers, cut-off bodies, connections
reset without an answer, and real answers rewritten (a page served twice, emptied, or its items dropped)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

FaultBody = bytes | str | dict[str, Any] | list[Any] | None
Rewrite = Callable[[bytes], bytes]
"""The real answer's body → the body served instead (status and headers kept)."""
Matcher = Callable[[dict[str, list[str]]], bool]
"""The request's query arguments → whether the fault takes it (with the path and method)."""


@dataclass
class Fault:
    """One injected fault. The fault answers with `status` itself unless `status` is None, `truncate` or
    `rewrite` is set; then the real fake API answers (after `delay`, cut in half when `truncate`, its body passed
    through `rewrite`). `reset` closes the connection instead of answering (the client sees a reset)."""

    path_prefix: str
    status: int | None = 429
    retry_after: float | None = 2
    times: int | None = 1
    """How many matching requests it hits before it is used up; None for every request until removed."""
    delay: float = 0.0
    truncate: bool = False
    body: FaultBody = None
    method: str | None = None
    rewrite: Rewrite | None = None
    reset: bool = False
    when: Matcher | None = None
    hits: int = 0

    @property
    def answers(self) -> bool:
        return self.status is not None and not self.truncate and self.rewrite is None and not self.reset

    @property
    def used_up(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str, args: dict[str, list[str]] | None = None) -> bool:
        return (not self.used_up and path.startswith(self.path_prefix)
                and (self.method is None or self.method.upper() == method.upper())
                and (self.when is None or self.when(args or {})))

    def headers(self) -> dict[str, str]:
        """Retry-After goes with the statuses that carry it in HTTP: 429 and 503."""
        if self.retry_after is not None and self.status in (429, 503):
            return {"Retry-After": _seconds(self.retry_after)}
        return {}

    def payload(self) -> tuple[bytes, str]:
        """(body bytes, content type); a generic JSON error unless the test gave a body."""
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        status = self.status or 500
        document = self.body if self.body is not None else {"error": {
            "code": status, "message": f"Injected fault: {_phrase(status)}", "status": "INJECTED_FAULT"}}
        return json.dumps(document).encode(), "application/json"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class FaultInjector:
    """Faults are tried in the order they were added; the first live match takes the request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, path_prefix: str = "/", status: int | None = 429, retry_after: float | None = 2,
            times: int | None = 1, delay: float = 0.0, truncate: bool = False, body: FaultBody = None,
            method: str | None = None, rewrite: Rewrite | None = None, reset: bool = False,
            when: Matcher | None = None) -> Fault:
        fault = Fault(path_prefix, status, retry_after, times, delay, truncate, body, method, rewrite, reset, when)
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f is not fault]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.used_up]

    def take(self, method: str, path: str, args: dict[str, list[str]] | None = None) -> Fault | None:
        """The fault for this request, counting the hit; None when the request should go through untouched."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, args):
                    fault.hits += 1
                    return fault
        return None
