"""google-api-python-client over the shared HTTP session.

The Google client talks to an `httplib2.Http`-like object. `SessionHttp` is one, backed by a
`shared.http` session, so Gmail and Sheets calls (batch requests included) get the same timeouts,
Retry-After handling, rate limit and circuit breaker as every other source — the Google client's own
retry ignores Retry-After. Credentials are applied per request and refreshed when they expire.
"""

from __future__ import annotations

from typing import Any

import httplib2
import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import Request as AuthRequest

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


class SessionHttp:
    """The subset of `httplib2.Http` that googleapiclient uses, implemented with requests."""

    def __init__(self, session: requests.Session, credentials: Credentials | None = None) -> None:
        self.session = session
        self.credentials = credentials
        self._auth_request = AuthRequest(session)

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None,
                redirections: int = 5, connection_type: Any = None) -> tuple[httplib2.Response, bytes]:
        headers = dict(headers or {})
        if self.credentials is not None:
            self.credentials.before_request(self._auth_request, method, uri, headers)
        response = self.session.request(method, uri, data=body, headers=headers,
                                        allow_redirects=redirections > 0)
        info = {k.lower(): v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
        info["status"] = str(response.status_code)
        return httplib2.Response(info), response.content

    def close(self) -> None:
        self.session.close()
