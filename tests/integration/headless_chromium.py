"""Open a page in headless Chromium (Debian's `chromium`) and look at it as a person would: through the Chrome
DevTools Protocol over a websocket, with every request the browser makes sent to a recording proxy on loopback.

The proxy answers nothing useful (502) and only counts: a page that needs the network shows requests there, and
the protocol's `Network.requestWillBeSent` events list every load the page itself started (file, data or http).
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
START_SECONDS = 30.0
QUIET_FEATURES = ("NetworkTimeServiceQuerying", "OptimizationHints", "Translate", "MediaRouter",
                  "DialMediaRouteProvider", "AutofillServerCommunication", "CertificateTransparencyComponentUpdater",
                  "PrivacySandboxSettings4", "InterestFeedContentSuggestions", "SafeBrowsing", "MaskedDomainList",
                  "TrackingProtection3pcd", "OptimizationGuideModelDownloading", "OnDeviceModel",
                  "DeviceBoundSessionCredentials", "EnableBoundSessionCredentials", "BoundSessionCredentials", "FedCm")
"""Chromium's own calls home, off (network time, hints, translation, safe browsing, ...)."""
BROWSER_SERVICES = ("update.googleapis.com", "accounts.google.com", "clients2.google.com")
"""Hosts Debian's Chromium 156 still calls by itself with every switch above (an on-demand component update check,
account checks), from the browser process and before any page asks: not the page's requests, told apart."""


def find_chromium() -> str | None:
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str]

    def handle_one_request(self) -> None:
        """Every method alike (GET, POST, CONNECT, ...): record the request line, answer 502."""
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or not self.parse_request():
            return
        self.seen.append(f"{self.command} {self.path}")
        self.send_error(502, "the report must not fetch anything")
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `seen`."""


def host(request_line: str) -> str:
    """The host of a proxied request line: `CONNECT h:443` or `GET http://h/path`."""
    target = request_line.split(" ", 1)[1]
    return target.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]


def page_requests(seen: list[str]) -> list[str]:
    """What the proxy saw, less the browser's own calls home."""
    return [line for line in seen if host(line) not in BROWSER_SERVICES]


@contextlib.contextmanager
def recording_proxy() -> Iterator[tuple[int, list[str]]]:
    """An HTTP proxy on 127.0.0.1 (a free port) that records each request line it gets; stopped on exit."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Page:
    """One tab, driven over the DevTools protocol; events are kept in `events` as they arrive."""

    socket: ClientConnection
    events: list[dict[str, Any]] = field(default_factory=list)
    _next: int = 0

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next += 1
        self.socket.send(json.dumps({"id": self._next, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic()))))
        return next(e for e in self.events if e.get("method") == event)

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, path: Path, width: int) -> None:
        """The whole page, `width` CSS pixels wide, as a PNG."""
        height = int(self.send("Page.getLayoutMetrics")["cssContentSize"]["height"])
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))


QUIET_SWITCHES = (
    "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
    "--disable-breakpad", "--metrics-recording-only", "--mute-audio", "--disable-client-side-phishing-detection",
    "--disable-component-extensions-with-background-pages", "--no-pings", "--allow-browser-signin=false",
    "--password-store=basic", "--use-mock-keychain", "--disable-search-engine-choice-screen",
)


def _flags(profile: Path, proxy_port: int, width: int, height: int) -> list[str]:
    """Headless, root-safe (no sandbox, no /dev/shm), a fresh profile, every request through the proxy (loopback
    too: `<-loopback>`), the browser's own traffic turned down, and DevTools on a free port."""
    return [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
        "--remote-debugging-port=0", f"--user-data-dir={profile}", f"--window-size={width},{height}",
        f"--proxy-server=http://127.0.0.1:{proxy_port}", "--proxy-bypass-list=<-loopback>",
        *QUIET_SWITCHES, "--disable-features=" + ",".join(QUIET_FEATURES), "about:blank",
    ]


def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode}")
        if marker.is_file() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.05)
    raise RuntimeError(f"chromium opened no DevTools port within {START_SECONDS:.0f} s")


@contextlib.contextmanager
def browser(chromium: str, proxy_port: int, width: int = 1280, height: int = 900) -> Iterator[Page]:
    """Headless Chromium with a fresh profile, every request through the proxy at `proxy_port`; yields its tab
    with the Network and Page domains on and the viewport `width` by `height`."""
    with tempfile.TemporaryDirectory(prefix="report-chromium-", ignore_cleanup_errors=True) as folder:
        profile = Path(folder)
        process = subprocess.Popen([chromium, *_flags(profile, proxy_port, width, height)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            port = _devtools_port(profile, process)
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an env proxy
            with direct.open(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
                targets = json.load(answer)
            tab = next(t for t in targets if t.get("type") == "page")
            with connect(tab["webSocketDebuggerUrl"], max_size=None, proxy=None) as socket:
                page = Page(socket)
                page.send("Network.enable")
                page.send("Page.enable")
                page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                          mobile=False)
                yield page
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the browser and its helper processes: the session (process group) it was started in."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
