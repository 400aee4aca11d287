"""An httpx2 transport that sends every request through a `shared.http` session.

Libraries built on httpx2 (google-genai) accept an `httpx2.Client`; giving it this transport puts their calls under
the session's timeouts, rate limit, circuit breaker and Retry-After-aware retries, the same as every other source.
"""

from __future__ import annotations

import httpx2
import requests

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


class SessionTransport(httpx2.BaseTransport):
    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        try:
            response = self.session.request(request.method, str(request.url), headers=headers,
                                            data=request.read() or None, allow_redirects=False)
        except requests.Timeout as exc:
            raise httpx2.TimeoutException(str(exc), request=request) from exc
        except requests.RequestException as exc:  # connection refused, circuit open, TLS
            raise httpx2.ConnectError(str(exc), request=request) from exc
        # requests has already decoded the body: pass it on without its content-encoding
        kept = [(k, v) for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS]
        return httpx2.Response(response.status_code, headers=kept, content=response.content, request=request)

    def close(self) -> None:
        self.session.close()


def session_client(session: requests.Session) -> httpx2.Client:
    return httpx2.Client(transport=SessionTransport(session))
