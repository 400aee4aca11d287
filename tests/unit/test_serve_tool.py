"""`make serve` writes what the function writes in production: one JSON object per line, nothing else."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def read_lines(stream: IO[str]) -> queue.Queue[str | None]:
    """Every line of `stream` from a reader thread; None at the end."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def drain(lines: queue.Queue[str | None], until: str | None = None, timeout: float = 15) -> list[str]:
    """Lines read until one contains `until` (or until the end of the stream)."""
    seen: list[str] = []
    try:
        while (line := lines.get(timeout=timeout)) is not None:
            seen.append(line)
            if until is not None and until in line:
                break
    except queue.Empty:
        raise AssertionError(f"nothing more within {timeout} s; read so far: {seen}") from None
    return seen


def test_given_one_request_then_every_line_is_one_json_record_and_sigterm_removes_the_sandbox_ca(
        tmp_path: Path) -> None:
    env = {**os.environ, "WAREHOUSE": f"duckdb:///{tmp_path / 'warehouse.duckdb'}"}
    command = [sys.executable, "-m", "tools.serve", "--function", "dialpad-sync", "--port", "0"]
    with (tmp_path / "stderr.txt").open("w") as stderr, subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True) as process:
        try:
            assert process.stdout is not None
            stdout = read_lines(process.stdout)
            lines = drain(stdout, until='"url": "http://127.0.0.1:', timeout=STARTUP_SECONDS)
            url = json.loads(lines[-1])["url"]
            session = requests.Session()
            session.trust_env = False
            answer = session.post(url, json={"sync_type": "full", "bogus": 1}, timeout=30)

            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
            lines += drain(stdout)
        finally:
            process.kill()
    errors = (tmp_path / "stderr.txt").read_text()

    assert answer.status_code == 400 and answer.json()["field"] == "bogus"
    assert process.returncode == 0, errors
    assert errors == ""
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) and r["severity"] and r["message"] for r in records)
    assert not [line for line in lines if "\x1b" in line]
    assert len(set(lines)) == len(lines)
    access = [r for r in records if "httpRequest" in r]
    assert len(access) == 1 and access[0]["severity"] == "WARNING"
    assert {k: access[0]["httpRequest"][k] for k in ("requestMethod", "requestUrl", "status", "remoteIp")} == \
        {"requestMethod": "POST", "requestUrl": "/", "status": 400, "remoteIp": "127.0.0.1"}
    assert [r["message"] for r in records if r.get("logger") == "shared.entrypoint"] == \
        ["rejected request: bogus: unknown field"]
    assert not Path(records[0]["ca_file"]).parent.exists()
