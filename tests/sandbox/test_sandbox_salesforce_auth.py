"""The Salesforce fake's OAuth token endpoint and session expiry."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sandbox import Sandbox
from sandbox.apis import salesforce_org as org
from sandbox.apis.salesforce_org import salesforce_org
from sandbox.world import build_world

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=3, scale=1, anchor=datetime(2025, 6, 2, tzinfo=UTC))) as running:
        yield running


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def post_token(sandbox: Sandbox, data: dict[str, str], **kwargs: Any) -> requests.Response:
    return sandbox.session().post(sandbox.https_url + "/services/oauth2/token", data=data, **kwargs)


def assertion(sandbox: Sandbox, private: str, **claims: Any) -> str:
    payload = {"iss": org.CLIENT_ID, "sub": org.INTEGRATION_USER, "aud": "https://login.salesforce.com",
               "exp": int(time.time()) + 180, **claims}
    return jwt.encode(payload, private, algorithm="RS256")


def test_client_credentials_in_basic_auth_issue_a_session_on_this_instance(sandbox: Sandbox) -> None:
    reply = post_token(sandbox, {"grant_type": "client_credentials"}, auth=(org.CLIENT_ID, org.CLIENT_SECRET))

    body = reply.json()
    assert reply.status_code == 200 and body["token_type"] == "Bearer"
    assert body["instance_url"] == sandbox.https_url and body["access_token"].startswith("00DSB")
    assert {"id", "issued_at", "signature", "scope"} <= set(body)


@pytest.mark.parametrize(("data", "auth", "error", "description"), [
    ({"grant_type": "client_credentials"}, (org.CLIENT_ID, "wrong"), "invalid_client", "invalid client credentials"),
    ({"grant_type": "client_credentials"}, ("someone-else", org.CLIENT_SECRET), "invalid_client_id",
     "client identifier invalid"),
    ({"grant_type": "password", "client_id": org.CLIENT_ID, "client_secret": org.CLIENT_SECRET,
      "username": org.INTEGRATION_USER, "password": org.PASSWORD}, None, "invalid_grant", "authentication failure"),
    ({"grant_type": "refresh_token", "client_id": org.CLIENT_ID, "refresh_token": "revoked"}, None,
     "invalid_grant", "expired access/refresh token"),
    ({"grant_type": "authorization_code"}, None, "unsupported_grant_type", "grant type not supported"),
])
def test_refused_grants_answer_400_with_an_oauth_error(sandbox: Sandbox, data: dict[str, str],
                                                       auth: tuple[str, str] | None, error: str,
                                                       description: str) -> None:
    reply = post_token(sandbox, data, auth=auth)

    assert reply.status_code == 400
    assert reply.json() == {"error": error, "error_description": description}


def test_password_grant_takes_the_password_with_the_security_token_appended(sandbox: Sandbox) -> None:
    reply = post_token(sandbox, {"grant_type": "password", "client_id": org.CLIENT_ID,
                                 "client_secret": org.CLIENT_SECRET, "username": org.INTEGRATION_USER,
                                 "password": org.PASSWORD + org.SECURITY_TOKEN})
    assert reply.status_code == 200 and reply.json()["access_token"]


def test_refresh_grant_needs_no_secret(sandbox: Sandbox) -> None:
    reply = post_token(sandbox, {"grant_type": "refresh_token", "client_id": org.CLIENT_ID,
                                 "refresh_token": org.REFRESH_TOKEN})
    assert reply.status_code == 200


def test_jwt_bearer_accepts_an_assertion_signed_by_a_trusted_key(sandbox: Sandbox, keys: tuple[str, str]) -> None:
    private, public = keys
    salesforce_org(sandbox.state).trust_jwt_key(public)
    user = sandbox.world.users[0]["Username"]

    reply = post_token(sandbox, {"grant_type": JWT_GRANT, "assertion": assertion(sandbox, private, sub=user)})

    assert reply.status_code == 200 and reply.json()["instance_url"] == sandbox.https_url


@pytest.mark.parametrize(("claims", "description"), [
    ({"aud": "https://evil.example.com"}, "audience is invalid"),
    ({"aud": "MY_DOMAIN"}, "audience is invalid"),
    ({"exp": 1_000_000}, "expired authorization code"),
    ({"sub": "nobody@example.com"}, "user hasn't approved this consumer"),
])
def test_jwt_bearer_refuses_bad_claims(sandbox: Sandbox, keys: tuple[str, str], claims: dict[str, Any],
                                       description: str) -> None:
    private, public = keys
    salesforce_org(sandbox.state).trust_jwt_key(public)
    if claims.get("aud") == "MY_DOMAIN":  # the host the token request is posted to, as a My Domain would be
        claims = {"aud": sandbox.https_url}

    reply = post_token(sandbox, {"grant_type": JWT_GRANT, "assertion": assertion(sandbox, private, **claims)})

    assert reply.status_code == 400 and reply.json() == {"error": "invalid_grant", "error_description": description}


@pytest.mark.parametrize("audience", ["https://test.salesforce.com", "https://acme.my.site.com/partners"])
def test_jwt_bearer_accepts_the_sandbox_login_host_and_an_experience_cloud_site(
        sandbox: Sandbox, keys: tuple[str, str], audience: str) -> None:
    private, public = keys
    found = salesforce_org(sandbox.state)
    found.trust_jwt_key(public)
    found.experience_sites.append("https://acme.my.site.com/partners")

    reply = post_token(sandbox, {"grant_type": JWT_GRANT, "assertion": assertion(sandbox, private, aud=audience)})

    assert reply.status_code == 200


def test_jwt_bearer_refuses_an_untrusted_signature(sandbox: Sandbox) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = stranger.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()

    reply = post_token(sandbox, {"grant_type": JWT_GRANT, "assertion": assertion(sandbox, pem)})

    assert reply.status_code == 400 and reply.json() == {"error": "invalid_grant",
                                                         "error_description": "invalid assertion"}


def test_expired_sessions_get_invalid_session_id_and_new_ones_work(sandbox: Sandbox) -> None:
    basic = base64.b64encode(f"{org.CLIENT_ID}:{org.CLIENT_SECRET}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    old = post_token(sandbox, {"grant_type": "client_credentials"}, headers=headers).json()["access_token"]
    assert salesforce_org(sandbox.state).expire_sessions() >= 1
    stale = Salesforce(instance_url=sandbox.https_url, session_id=old, session=sandbox.session())

    with pytest.raises(SalesforceExpiredSession):
        stale.query("SELECT Id FROM User")

    new = post_token(sandbox, {"grant_type": "client_credentials"}, headers=headers).json()["access_token"]
    fresh = Salesforce(instance_url=sandbox.https_url, session_id=new, session=sandbox.session())
    assert fresh.query("SELECT COUNT() FROM User")["totalSize"] == len(sandbox.world.users)
