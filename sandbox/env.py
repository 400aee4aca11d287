"""The settings (environment variables) that point every function at a running sandbox.

Each source adds its base URLs and fake credentials here; the demo, `make serve` and the integration tests
all use this one mapping, so they exercise the same configuration path as production.
"""

from __future__ import annotations

from sandbox.server import Sandbox

FAKE_TOKEN = "sandbox-fake-token"


def settings_env(sandbox: Sandbox) -> dict[str, str]:
    return {
        "HTTP_CA_BUNDLE": sandbox.ca_file,
        "SALESFORCE_INSTANCE_URL": sandbox.https_url,
        "SALESFORCE_LOGIN_URL": sandbox.https_url,
    }
