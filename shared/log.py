"""Structured logging: one JSON object per line on stdout, in Cloud Logging's format.

Every line carries `severity`, `message`, `run_id` and `function` (bound with `bind_run`), plus any
`extra=` fields. Secret values registered with `register_secret` are masked in the final line, so
they cannot leak through messages, extras or tracebacks.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

MASK = "***"
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_context", default=None)
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_MIN_SECRET_LEN = 4


def register_secret(value: str | None) -> None:
    """Mask `value` in every log line from now on (short values are ignored to avoid masking noise)."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _secrets_lock:
            _secrets.add(value)


def mask_secrets(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, MASK)
    return text


@contextlib.contextmanager
def bind_run(**fields: str) -> Iterator[None]:
    """Attach fields (run_id, function, scope…) to every log line written inside the block."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str]:
    return dict(_context.get() or {})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "logger": record.name,
            **(_context.get() or {}),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask_secrets(json.dumps(entry, default=str))


class StructuredHandler(logging.Handler):
    """Writes formatted lines to a stream, or to whatever `sys.stdout` is at the time of writing."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            out = self.stream or sys.stdout
            out.write(self.format(record) + "\n")
            out.flush()
        except Exception:
            self.handleError(record)


_KEEP: Any = object()


def configure_logging(level: str | None = None, stream: TextIO | None = _KEEP) -> None:
    """Install the JSON handler on the root logger once (at INFO unless told). Later calls change only what
    they are given: the level, and the stream (None = whatever `sys.stdout` is when a line is written)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StructuredHandler)), None)
    if handler is None:
        root.addHandler(StructuredHandler(None if stream is _KEEP else stream))
        root.setLevel((level or "INFO").upper())
        return
    if stream is not _KEEP:
        handler.stream = stream
    if level:
        root.setLevel(level.upper())


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
