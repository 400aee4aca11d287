"""Secret values: a literal from the environment / .env locally, a Secret Manager reference in production.

A secret setting holds either the value itself or a reference `secretmanager://projects/P/secrets/NAME`
(optionally `/versions/V`; default `latest`). References are resolved when the value is read and cached
for a TTL, so a rotated secret is picked up without a redeploy. Resolved values are registered with the
log masker. `str()` / `repr()` never show the value.

Trailing whitespace is stripped from every value, literal or fetched: a version added with
`echo … | gcloud secrets versions add NAME --data-file=-` ends in a newline, which would break every header
(requests refuses header values with leading or trailing whitespace).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic_core import core_schema

from shared.log import register_secret

REFERENCE_PREFIX = "secretmanager://"
DEFAULT_TTL_SECONDS = 300.0

Fetcher = Callable[[str], str]


def _secret_manager_fetch(resource: str) -> str:
    from google.cloud import secretmanager  # production dependency, imported only when a reference is used

    client = secretmanager.SecretManagerServiceClient()
    return client.access_secret_version(name=resource).payload.data.decode("utf-8")


class SecretCache:
    """Resolves Secret Manager resources with a per-resource TTL."""

    def __init__(self, fetch: Fetcher = _secret_manager_fetch, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fetch = fetch
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._values: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, resource: str) -> str:
        with self._lock:
            cached = self._values.get(resource)
            if cached and self.clock() - cached[0] < self.ttl_seconds:
                return cached[1]
        value = self.fetch(resource).rstrip()
        if not value:
            raise ValueError(f"Secret Manager version {resource} is empty")
        register_secret(value)
        with self._lock:
            self._values[resource] = (self.clock(), value)
        return value


default_cache = SecretCache()


def resource_name(reference: str) -> str:
    path = reference.removeprefix(REFERENCE_PREFIX).strip("/")
    parts = path.split("/")
    if len(parts) == 4 and parts[0] == "projects" and parts[2] == "secrets":
        return f"{path}/versions/latest"
    if len(parts) == 6 and parts[4] == "versions":
        return path
    raise ValueError(f"secret reference must be {REFERENCE_PREFIX}projects/P/secrets/NAME[/versions/V]")


class Secret:
    """A secret setting. Read it with `.get()`; it prints as `'***'`."""

    def __init__(self, raw: str, cache: SecretCache | None = None) -> None:
        raw = raw.rstrip()
        self._raw = raw
        self._cache = cache
        self.is_reference = raw.startswith(REFERENCE_PREFIX)
        if self.is_reference:
            self._resource = resource_name(raw)
        else:
            register_secret(raw)

    def get(self) -> str:
        if not self.is_reference:
            return self._raw
        return (self._cache or default_cache).get(self._resource)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def validate(value: Any) -> Secret:
            if isinstance(value, Secret):
                return value
            if not isinstance(value, str) or not value.strip():
                raise ValueError("a secret must be a non-empty string")
            return cls(value)

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(lambda _: "***"))
