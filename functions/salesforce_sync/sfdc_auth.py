"""OAuth 2.0 token exchange with Salesforce: JWT bearer, client credentials, refresh token or username-password.

simple-salesforce's own login helpers build `https://{domain}.salesforce.com/...` and so cannot reach a
configured login host (a sandbox org's My Domain, or the local fake); the grants are plain form posts, done here
through the shared resilient session. The access token then goes to `Salesforce(session_id=…, instance_url=…)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from sfdc_settings import SalesforceSettings

from shared.log import register_secret

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180
OAUTH_ENDPOINT = "/services/oauth2/token"


class SalesforceAuthError(Exception):
    """The token endpoint refused the grant (`invalid_grant`, `invalid_client`, …)."""

    def __init__(self, error: str, description: str, status: int) -> None:
        super().__init__(f"{error} (HTTP {status}): {description}")
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class AccessToken:
    value: str
    instance_url: str

    def __repr__(self) -> str:
        return f"AccessToken(value='***', instance_url={self.instance_url!r})"


@dataclass(frozen=True)
class _Grant:
    url: str
    data: dict[str, str]
    auth: tuple[str, str] | None = None


def _secret(settings: SalesforceSettings, name: str) -> str:
    value = getattr(settings, name)
    return "" if value is None else str(value.get())


class TokenSource:
    """Asks the token endpoint for a fresh access token each time `fetch` is called."""

    def __init__(self, settings: SalesforceSettings, http: requests.Session,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings, self.http, self.clock = settings, http, clock

    def fetch(self) -> AccessToken:
        grant = self._grant()
        response = self.http.post(grant.url, data=grant.data, auth=grant.auth,
                                  headers={"Accept": "application/json"})
        body = _json(response)
        if response.status_code != 200 or not body.get("access_token"):
            raise SalesforceAuthError(str(body.get("error", "unknown_error")),
                                      str(body.get("error_description", response.text[:200])), response.status_code)
        instance = body.get("instance_url") or self.settings.salesforce_instance_url
        if not instance:
            raise SalesforceAuthError("no_instance_url", "the token reply named no instance", response.status_code)
        register_secret(str(body["access_token"]))
        return AccessToken(str(body["access_token"]), str(instance).rstrip("/"))

    def _grant(self) -> _Grant:
        s = self.settings
        login = s.salesforce_login_url.rstrip("/") + OAUTH_ENDPOINT
        client_id = _secret(s, "salesforce_client_id")
        if s.salesforce_auth == "jwt":
            return _Grant(login, {"grant_type": JWT_GRANT, "assertion": self._assertion(client_id)})
        if s.salesforce_auth == "client_credentials":
            host = (s.salesforce_instance_url or s.salesforce_login_url).rstrip("/")
            return _Grant(host + OAUTH_ENDPOINT, {"grant_type": "client_credentials"},
                          (client_id, _secret(s, "salesforce_client_secret")))
        if s.salesforce_auth == "refresh_token":
            data = {"grant_type": "refresh_token", "client_id": client_id,
                    "refresh_token": _secret(s, "salesforce_refresh_token")}
            if s.salesforce_client_secret is not None:
                data["client_secret"] = _secret(s, "salesforce_client_secret")
            return _Grant(login, data)
        password = _secret(s, "salesforce_password") + _secret(s, "salesforce_security_token")
        return _Grant(login, {"grant_type": "password", "client_id": client_id,
                              "client_secret": _secret(s, "salesforce_client_secret"),
                              "username": s.salesforce_username or "", "password": password})

    def _assertion(self, client_id: str) -> str:
        claims = {"iss": client_id, "sub": self.settings.salesforce_username,
                  "aud": self.settings.salesforce_jwt_audience,
                  "exp": int(self.clock()) + JWT_LIFETIME_SECONDS}
        key = _secret(self.settings, "salesforce_private_key").replace("\\n", "\n")
        return jwt.encode(claims, key, algorithm="RS256")


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
