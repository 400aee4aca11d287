"""The sandbox: one Flask app with every fake source API, served on loopback over HTTP and HTTPS.

    with Sandbox(build_world(seed=7)) as sandbox:
        requests.get(sandbox.https_url + "/services/data/v59.0/query/", verify=sandbox.ca_file, ...)
        sandbox.faults.add("/services/data", status=500)
        assert sandbox.log.count(path_prefix="/services/data") == 2
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import signal
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.apis import REGISTRY
from sandbox.faults import Fault, FaultInjector
from sandbox.recording import RecordedRequest, RequestLog
from sandbox.state import SandboxState
from sandbox.tls import LocalTls
from sandbox.world import World

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class RecordingMiddleware:
    """Records every request with the status it got, and lets an injected fault answer (or spoil) it."""

    def __init__(self, app: WSGIApplication, state: SandboxState) -> None:
        self.app, self.state = app, state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        received = datetime.now(UTC)
        request = Request(environ)
        body = request.get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        fault = self.state.faults.take(request.method, request.path, request.args.to_dict(flat=False))
        if fault and fault.reset:
            return self._reset(environ, request, body, received, fault)
        response = self._answer(environ, fault)
        self.state.log.add(RecordedRequest(
            request.method, request.path, request.args.to_dict(flat=False), dict(request.headers.items()),
            body, received, response.status_code, fault is not None,
        ))
        return response(environ, start_response)

    def _reset(self, environ: WSGIEnvironment, request: Request, body: bytes, received: datetime,
               fault: Fault) -> Iterable[bytes]:
        """Drop the connection before any byte of an answer (shut down both ways, then reset on close: SO_LINGER 0);
        recorded as status 0."""
        if fault.delay:
            time.sleep(fault.delay)
        self.state.log.add(RecordedRequest(
            request.method, request.path, request.args.to_dict(flat=False), dict(request.headers.items()),
            body, received, 0, True,
        ))
        connection = environ.get("werkzeug.socket")
        if connection is not None:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.shutdown(socket.SHUT_RDWR)
        raise FaultResetError(f"{request.method} {request.path}")

    def _answer(self, environ: WSGIEnvironment, fault: Fault | None) -> Response:
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.answers:
            payload, content_type = fault.payload()
            return Response(payload, status=fault.status, headers=fault.headers(), content_type=content_type)
        response = Response.from_app(self.app, environ, buffered=True)
        if fault and fault.rewrite:
            response.set_data(fault.rewrite(response.get_data()))
        if fault and fault.truncate:
            data = response.get_data()
            response.set_data(data[: len(data) // 2])
        return response


class FaultResetError(ConnectionError):
    """Ends the request after its socket was reset on purpose; the server's handler drops it quietly."""


def create_app(state: SandboxState) -> Flask:
    app = Flask("sandbox")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    for _name, factory in REGISTRY:
        app.register_blueprint(factory(state))

    @app.get("/_sandbox/health")
    def health() -> Any:
        return jsonify({"ok": True, "sources": [name for name, _ in REGISTRY], "seed": state.world.seed,
                        "scale": state.world.scale})

    app.wsgi_app = RecordingMiddleware(app.wsgi_app, state)  # type: ignore[method-assign]
    return app


class Sandbox:
    """Serves the fake APIs from daemon threads of this process until `stop()` (idempotent)."""

    def __init__(self, world: World, *, host: str = "127.0.0.1", http_port: int = 0,
                 https_port: int = 0) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the sandbox binds loopback addresses only, not {host!r}")
        self.state = SandboxState(world)
        self.app = create_app(self.state)
        self.host = host
        self._ports = (http_port, https_port)
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self._tls: LocalTls | None = None

    @property
    def world(self) -> World:
        return self.state.world

    @property
    def log(self) -> RequestLog:
        return self.state.log

    @property
    def faults(self) -> FaultInjector:
        return self.state.faults

    @property
    def ca_file(self) -> str:
        if self._tls is None:
            raise RuntimeError("the sandbox is not running")
        return self._tls.ca_file

    @property
    def http_url(self) -> str:
        return self._url("http", 0)

    @property
    def https_url(self) -> str:
        return self._url("https", 1)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """(host, port) each listening socket is bound to, HTTP first."""
        return [(str(s.socket.getsockname()[0]), int(s.socket.getsockname()[1])) for s in self._servers]

    def session(self) -> requests.Session:
        """A requests session that trusts the sandbox CA. `trust_env` is off because requests lets a
        REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE variable override `Session.verify` (and proxies must not apply)."""
        session = requests.Session()
        session.verify = self.ca_file
        session.trust_env = False
        return session

    def _url(self, scheme: str, index: int) -> str:
        if len(self._servers) <= index:
            raise RuntimeError("the sandbox is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self._servers[index].server_address[1]}"

    def start(self) -> Sandbox:
        if self._servers:
            return self
        self._tls = LocalTls()
        try:
            for port, context in ((self._ports[0], None), (self._ports[1], self._tls.server_context())):
                server = make_server(self.host, port, self.app, threaded=True, request_handler=_QuietHandler,
                                     ssl_context=context)
                self._servers.append(server)
        except BaseException:
            self.stop()
            raise
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"sandbox-{server.server_address[1]}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server, thread in zip(self._servers, self._threads, strict=False):
            server.shutdown()
            thread.join(timeout=5)
        for server in self._servers:
            server.server_close()
        self._servers, self._threads = [], []
        if self._tls is not None:
            self._tls.close()
            self._tls = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


@contextlib.contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Inside the block SIGTERM (what `kill`, process managers and test harnesses send) raises KeyboardInterrupt
    in the main thread, as Ctrl-C does, so `with Sandbox(...)` unwinds: the servers stop and the temporary CA
    directory is removed. SIGTERM's default action ends the process on the spot and leaves the directory behind."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
