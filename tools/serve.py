"""`make serve FN=<cloud name>`: one function on 127.0.0.1 with functions-framework, against the local
warehouse and an in-process sandbox. Ctrl-C or SIGTERM stops both.

Everything it writes is one JSON object per line, as the function logs in production (`shared/log.py`): the
werkzeug development server's banner and coloured access lines are replaced by one structured access record
per request, in Cloud Logging's `httpRequest` shape.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from typing import Any

from functions_framework import create_app
from werkzeug.serving import WSGIRequestHandler, make_server

from sandbox.env import settings_env
from sandbox.server import Sandbox, interrupt_on_sigterm
from sandbox.world import build_world
from shared.log import configure_logging, get_logger
from tools.pipeline import FunctionEntry, by_cloud_name

log = get_logger("tools.serve")
access_log = get_logger("tools.serve.access")


class AccessLogHandler(WSGIRequestHandler):
    """One JSON access record per request; the server's other messages through the JSON logger as well."""

    def handle_one_request(self) -> None:
        self._started = time.monotonic()
        super().handle_one_request()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if str(code).isdigit() else 0
        started = getattr(self, "_started", time.monotonic())
        request = {
            "requestMethod": getattr(self, "command", None), "requestUrl": getattr(self, "path", None),
            "status": status, "remoteIp": self.address_string(), "protocol": getattr(self, "request_version", None),
            "latency": f"{time.monotonic() - started:.3f}s",
        }
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        access_log.log(level, "%s %s %s", request["requestMethod"], request["requestUrl"], status,
                       extra={"httpRequest": request})

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.ERROR if type == "error" else logging.INFO
        log.log(level, message.rstrip("\n"), *args, extra={"remote_ip": self.address_string()})


def serve(entry: FunctionEntry, port: int, seed: int, scale: int) -> None:
    with interrupt_on_sigterm(), Sandbox(build_world(seed, scale)) as sandbox:
        os.environ.update(settings_env(sandbox))
        app = create_app(entry.target, str(entry.source))
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=AccessLogHandler)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                _announce(entry, sandbox, f"http://127.0.0.1:{server.server_port}/")
                server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
        log.info("stopped after %d sandbox requests", len(sandbox.log), extra={"function": entry.cloud_name})


def _announce(entry: FunctionEntry, sandbox: Sandbox, url: str) -> None:
    curl = f"curl -s -X POST {url} -H 'Content-Type: application/json' -d '{json.dumps(entry.demo_body)}'"
    log.info("sandbox at %s and %s", sandbox.http_url, sandbox.https_url,
             extra={"http_url": sandbox.http_url, "https_url": sandbox.https_url, "ca_file": sandbox.ca_file})
    log.info("%s on %s (Ctrl-C stops)", entry.cloud_name, url, extra={"function": entry.cloud_name, "url": url,
                                                                      "try": curl})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--function", required=True, help="Cloud name, e.g. salesforce-sync")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    configure_logging()  # before anything logs, so werkzeug and Flask add no handlers of their own
    logging.captureWarnings(True)
    try:
        entry = by_cloud_name(args.function)
    except KeyError as exc:
        log.error(exc.args[0])
        return 2
    if not entry.source.is_file():
        log.error("%s is not implemented yet (%s is missing)", entry.cloud_name, entry.source)
        return 2
    serve(entry, args.port, args.seed, args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
