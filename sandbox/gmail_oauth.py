"""Google's OAuth token endpoint and the IAM Credentials `signBlob` call, as far as domain-wide delegation
without a key file needs them.

The function signs its delegation JWT through `signBlob` (here: HMAC-SHA256 with a sandbox key, standing in
for the service account's Google-held RSA key), then trades it at the token endpoint for an access token bound
to the mailbox named in `sub`. The token endpoint checks what Google checks: the grant type, the signature,
`aud`, `exp`/`iat`, that `sub` is a Workspace user and that the scope is one the delegation allows.
`grant_type=refresh_token` with REFRESH_TOKEN gives the caller's own token for IAM (authorized-user
credentials in tests, standing in for the metadata server).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
REFRESH_TOKEN = "sandbox-refresh-token"
DIRECTORY_MEMBERS_READONLY = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
ALLOWED_SCOPES = frozenset({GMAIL_READONLY, DIRECTORY_MEMBERS_READONLY})
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
"""google-auth always sets this `aud`, whatever token_uri it posts to; Google checks it."""


@dataclass(frozen=True)
class Grant:
    mailbox: str | None
    scope: str
    expires_at: float


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class GoogleAuthFake:
    seed: int
    users: set[str]
    grants: dict[str, Grant] = field(default_factory=dict)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    """Claims of every accepted delegation JWT (tests read them)."""
    signed_by: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def key(self) -> bytes:
        return hashlib.sha256(f"{self.seed}/gmail-iam-key".encode()).digest()

    def sign_blob(self, account: str, payload_b64: str) -> dict[str, str]:
        try:
            payload = base64.b64decode(payload_b64, validate=True)
        except (binascii.Error, ValueError):
            raise OAuthError("invalid_argument", "payload is not base64") from None
        with self._lock:
            self.signed_by.append(account)
        signature = hmac.new(self.key, payload, hashlib.sha256).digest()
        return {"keyId": "sandbox-key-1", "signedBlob": base64.b64encode(signature).decode()}

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        if grant_type == "refresh_token":
            if form.get("refresh_token") != REFRESH_TOKEN:
                raise OAuthError("invalid_grant", "Bad Request")
            return self._issue(None, CLOUD_PLATFORM)
        if grant_type != JWT_BEARER:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        claims = self._verified_claims(form.get("assertion", ""))
        with self._lock:
            self.assertions.append(claims)
        return self._issue(str(claims["sub"]).lower(), str(claims["scope"]))

    def _verified_claims(self, assertion: str) -> dict[str, Any]:
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header, claims = json.loads(_b64decode(header_b64)), json.loads(_b64decode(payload_b64))
            signature = _b64decode(signature_b64)
        except (ValueError, binascii.Error):
            raise OAuthError("invalid_grant", "Invalid JWT: malformed assertion") from None
        expected = hmac.new(self.key, f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
        if header.get("alg") != "RS256" or not hmac.compare_digest(signature, expected):
            raise OAuthError("invalid_grant", "Invalid JWT Signature.")
        self._check_claims(claims)
        return dict(claims)

    def _check_claims(self, claims: dict[str, Any]) -> None:
        now = time.time()
        if not str(claims.get("iss", "")).endswith(".gserviceaccount.com"):
            raise OAuthError("invalid_grant", "Invalid JWT: iss is not a service account")
        if claims.get("aud") != TOKEN_AUDIENCE:
            raise OAuthError("invalid_grant", "Invalid JWT: audience is not the Google token endpoint")
        if not (claims.get("iat", now + 1) <= now + 60 and claims.get("exp", 0) > now):
            raise OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) "
                                              "and in a reasonable timeframe.")
        if str(claims.get("sub", "")).lower() not in self.users:
            raise OAuthError("invalid_grant", "Invalid email or User ID")
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes or not scopes <= ALLOWED_SCOPES:
            raise OAuthError("unauthorized_client", "Client is unauthorized to retrieve access tokens using "
                                                    "this method, or client not authorized for any of the "
                                                    "scopes requested.")

    def _issue(self, mailbox: str | None, scope: str) -> dict[str, Any]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self.grants[token] = Grant(mailbox, scope, time.time() + 3600)
        return {"access_token": token, "expires_in": 3599, "scope": scope, "token_type": "Bearer"}

    def grant(self, token: str) -> Grant | None:
        with self._lock:
            grant = self.grants.get(token)
        return grant if grant and grant.expires_at > time.time() else None
