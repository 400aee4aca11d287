"""The settings (environment variables) that point every function at a running sandbox.

Each source adds its base URLs and fake credentials here; the demo, `make serve` and the integration tests
all use this one mapping, so they exercise the same configuration path as production.
"""

from __future__ import annotations

import json

from sandbox.apis import anthropic, cursor, salesforce_org
from sandbox.server import Sandbox
from sandbox.usage_sheet import MAPPING_TAB, PEOPLE_TAB, SPREADSHEET_ID
from sandbox.world_context import SELLER_DOMAIN

FAKE_TOKEN = "sandbox-fake-token"


def settings_env(sandbox: Sandbox) -> dict[str, str]:
    return {
        "HTTP_CA_BUNDLE": sandbox.ca_file,
        "SALESFORCE_INSTANCE_URL": sandbox.https_url,
        "SALESFORCE_LOGIN_URL": sandbox.https_url,
        "SALESFORCE_AUTH": "client_credentials",
        "SALESFORCE_CLIENT_ID": salesforce_org.CLIENT_ID,
        "SALESFORCE_CLIENT_SECRET": salesforce_org.CLIENT_SECRET,
        "DIALPAD_BASE_URL": sandbox.https_url,
        "DIALPAD_API_KEY": FAKE_TOKEN,
        "GMAIL_API_BASE_URL": sandbox.http_url,
        "GMAIL_AUTH": "static_token",
        "GMAIL_STATIC_TOKEN": FAKE_TOKEN,
        "GMAIL_MAILBOXES": json.dumps(sandbox.world.mailboxes),
        "GMAIL_TOKEN_URI": f"{sandbox.http_url}/google-oauth2/token",
        "GMAIL_IAM_BASE_URL": f"{sandbox.http_url}/google-iam",
        "GMAIL_DIRECTORY_BASE_URL": sandbox.http_url,
        "ANTHROPIC_BASE_URL": sandbox.https_url,
        "ANTHROPIC_ADMIN_KEY": anthropic.ADMIN_KEY,
        "ANTHROPIC_REQUESTS_PER_SECOND": "50",
        "CURSOR_BASE_URL": sandbox.https_url,
        "CURSOR_ADMIN_KEY": cursor.ADMIN_KEY,
        "SHEETS_API_BASE_URL": sandbox.https_url,
        "SHEETS_AUTH": "static_token",
        "SHEETS_STATIC_TOKEN": FAKE_TOKEN,
        "USAGE_SHEET_ID": SPREADSHEET_ID,
        "USAGE_SHEET_RANGE": f"{MAPPING_TAB}!A:E",
        "USAGE_PEOPLE_RANGE": f"{PEOPLE_TAB}!A:C",
        "COMPANY_DOMAINS": SELLER_DOMAIN,
        "VERTEX_BASE_URL": sandbox.http_url,
        "VERTEX_AUTH": "static_token",
        "VERTEX_STATIC_TOKEN": FAKE_TOKEN,
    }
