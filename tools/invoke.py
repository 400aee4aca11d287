"""Call a function's HTTP entry point in this process, the way functions-framework serves it."""

from __future__ import annotations

import json
from typing import Any

from functions_framework import create_app

from tools.pipeline import FunctionEntry


def invoke(entry: FunctionEntry, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """POST `body` (default: the entry's demo body) to the function; returns (HTTP status, JSON answer)."""
    client = create_app(entry.target, str(entry.source)).test_client()
    payload = json.dumps(entry.demo_body if body is None else body)
    response = client.post("/", data=payload, headers={"Content-Type": "application/json"})
    return response.status_code, response.get_json()
