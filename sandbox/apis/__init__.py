"""The fake source APIs. Each module offers `blueprint(state) -> flask.Blueprint`; the sandbox mounts every
factory listed in REGISTRY on one app, served on both its HTTP and HTTPS ports."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint

from sandbox.apis import anthropic, cursor, dialpad, gemini, gmail, salesforce, sheets, vertex
from sandbox.state import SandboxState

BlueprintFactory = Callable[[SandboxState], Blueprint]

REGISTRY: list[tuple[str, BlueprintFactory]] = [
    ("salesforce", salesforce.blueprint),
    ("dialpad", dialpad.blueprint),
    ("gmail", gmail.blueprint),
    ("anthropic", anthropic.blueprint),
    ("cursor", cursor.blueprint),
    ("sheets", sheets.blueprint),
    ("gemini", gemini.blueprint),
    ("vertex", vertex.blueprint),
]
