"""A throwaway certificate authority for the sandbox's HTTPS port (simple-salesforce only speaks https)."""

from __future__ import annotations

import shutil
import ssl
import tempfile
from pathlib import Path

import trustme

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class LocalTls:
    """A fresh CA per sandbox; its PEM lives in a temp file that clients pass as `verify=`."""

    def __init__(self, names: tuple[str, ...] = LOOPBACK_NAMES) -> None:
        self._ca = trustme.CA(organization_name="Sales-intel sandbox")
        self._cert = self._ca.issue_cert(*names)
        self._directory = Path(tempfile.mkdtemp(prefix="sandbox-tls-"))
        self.ca_file = str(self._directory / "sandbox-ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(context)
        return context

    def close(self) -> None:
        shutil.rmtree(self._directory, ignore_errors=True)
