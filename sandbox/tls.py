"""A throwaway certificate authority for the sandbox's HTTPS port (simple-salesforce only speaks https)."""

from __future__ import annotations

import shutil
import ssl
import tempfile
import weakref
from pathlib import Path

import trustme

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class LocalTls:
    """A fresh CA per sandbox; its PEM lives in a temp directory that clients pass as `verify=`. The directory is
    removed by `close()`, or at the latest when the interpreter exits normally (not when a signal kills it: see
    `sandbox.server.interrupt_on_sigterm`)."""

    def __init__(self, names: tuple[str, ...] = LOOPBACK_NAMES) -> None:
        self._ca = trustme.CA(organization_name="Sales-intel sandbox")
        self._cert = self._ca.issue_cert(*names)
        self._directory = Path(tempfile.mkdtemp(prefix="sandbox-tls-"))
        self._remove = weakref.finalize(self, shutil.rmtree, self._directory, ignore_errors=True)
        self.ca_file = str(self._directory / "sandbox-ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(context)
        return context

    def close(self) -> None:
        self._remove()
