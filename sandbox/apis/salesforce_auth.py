"""POST /services/oauth2/token: the OAuth 2.0 grants a server integration uses.

JWT bearer (assertion signed by a key the org trusts, `aud` https://login.salesforce.com,
https://test.salesforce.com or one of the org's Experience Cloud sites — never the host it was posted to), client
credentials (HTTP Basic or form fields), refresh token, and the username-password grant (password + security token
appended). Failures answer 400 with `{"error": "invalid_grant", "error_description": …}` (or invalid_client /
unsupported_grant_type) like Salesforce. SOAP login is not served: password authentication goes through the OAuth
password grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from flask import Blueprint, Response, jsonify, request

from sandbox.apis import salesforce_org as org_module
from sandbox.apis.salesforce_org import SalesforceOrg
from sandbox.state import SandboxState

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
KNOWN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _client(form: Mapping[str, str]) -> tuple[str, str | None]:
    """Client id and secret from HTTP Basic auth or the form, as Salesforce accepts both."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "invalid client credentials") from None
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret")


def _check_client(form: Mapping[str, str], secret_required: bool) -> None:
    client_id, secret = _client(form)
    if client_id != org_module.CLIENT_ID:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if (secret_required or secret is not None) and secret != org_module.CLIENT_SECRET:
        raise OAuthError("invalid_client", "invalid client credentials")


class _Grants:
    """Each grant returns the username the session belongs to, or raises OAuthError."""

    def __init__(self, state: SandboxState, org: SalesforceOrg) -> None:
        self.state, self.org = state, org

    def known_user(self, username: str) -> bool:
        if username == org_module.INTEGRATION_USER:
            return True
        with self.state.lock:
            return any(u["Username"] == username and u["IsActive"] for u in self.state.world.users)

    def client_credentials(self, form: Mapping[str, str]) -> str:
        _check_client(form, secret_required=True)
        return org_module.INTEGRATION_USER

    def password(self, form: Mapping[str, str]) -> str:
        _check_client(form, secret_required=True)
        username = form.get("username", "")
        if username != org_module.INTEGRATION_USER or \
                form.get("password") != org_module.PASSWORD + org_module.SECURITY_TOKEN:
            raise OAuthError("invalid_grant", "authentication failure")
        return username

    def refresh_token(self, form: Mapping[str, str]) -> str:
        _check_client(form, secret_required=False)
        with self.org.lock:
            live = form.get("refresh_token", "") in self.org.refresh_tokens
        if not live:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return org_module.INTEGRATION_USER

    def jwt_bearer(self, form: Mapping[str, str]) -> str:
        claims = self.verified_claims(form.get("assertion", ""))
        if claims.get("iss") != org_module.CLIENT_ID:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if not self.known_user(str(claims.get("sub", ""))):
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        return str(claims["sub"])

    def verified_claims(self, assertion: str) -> dict[str, Any]:
        """The audience must be login/test.salesforce.com or an Experience Cloud site of the org, whichever host
        the request came to: Salesforce refuses the My Domain URL as `aud`."""
        with self.org.lock:
            keys = list(self.org.jwt_keys)
            audiences = [*KNOWN_AUDIENCES, *self.org.experience_sites]
        for key in keys:
            try:
                return dict(jwt.decode(assertion, key, algorithms=["RS256"], audience=audiences,
                                       options={"require": ["exp", "iss", "sub", "aud"]}))
            except jwt.InvalidAudienceError:
                raise OAuthError("invalid_grant", "audience is invalid") from None
            except jwt.ExpiredSignatureError:
                raise OAuthError("invalid_grant", "expired authorization code") from None
            except jwt.InvalidSignatureError:
                continue
            except jwt.InvalidTokenError:
                break
        raise OAuthError("invalid_grant", "invalid assertion")


def _signature(token: str, issued_at: str) -> str:
    digest = hmac.new(org_module.CLIENT_SECRET.encode(), f"{token}{issued_at}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def _grant_table(grants: _Grants) -> dict[str, Callable[[Mapping[str, str]], str]]:
    return {"client_credentials": grants.client_credentials, "password": grants.password,
            "refresh_token": grants.refresh_token, JWT_GRANT: grants.jwt_bearer}


def blueprint(state: SandboxState) -> Blueprint:
    bp = Blueprint("salesforce_oauth", __name__, url_prefix="/oauth2")
    org = org_module.salesforce_org(state)
    grants = _grant_table(_Grants(state, org))

    @bp.post("/token")
    def token() -> tuple[Response, int]:
        grant = grants.get(request.form.get("grant_type", ""))
        try:
            if grant is None:
                raise OAuthError("unsupported_grant_type", "grant type not supported")
            username = grant(request.form)
        except OAuthError as failure:
            return jsonify({"error": failure.error, "error_description": failure.description}), failure.status
        access_token, issued_at = org.issue(username), str(int(time.time() * 1000))
        host = f"https://{request.host}"
        return jsonify({
            "access_token": access_token, "instance_url": host,
            "id": f"{host}/id/{org_module.ORG_ID}/{org_module.INTEGRATION_USER_ID}",
            "token_type": "Bearer", "issued_at": issued_at, "scope": "api",
            "signature": _signature(access_token, issued_at),
        }), 200

    return bp
