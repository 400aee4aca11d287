"""Credentials for one mailbox: domain-wide delegation without a key file, or a static token locally.

Delegation: the function's own service account signs the delegation JWT (`sub` = the mailbox, scope
gmail.readonly) through the IAM Credentials `signBlob` API (`google.auth.iam.Signer`), and the token endpoint
trades it for a token that acts as that mailbox. No private key ever exists outside Google. The runtime's
identity (the metadata server on Cloud Functions, `google.auth.default()`) authorises the signBlob call; the
service account needs roles/iam.serviceAccountTokenCreator on itself, which Terraform grants.

The signer's IAM URL is fixed in google-auth; `IamRebasedRequest` sends it to GMAIL_IAM_BASE_URL instead
(identical in production, the sandbox locally), so the same code path runs in both.
"""

from __future__ import annotations

from typing import Any

import google.auth
import requests
from gmail_settings import GMAIL_READONLY, GmailSettings
from google.auth import iam
from google.auth.credentials import Credentials
from google.auth.transport import Request
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

IAM_ROOT = "https://iamcredentials.googleapis.com"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


class IamRebasedRequest(Request):
    """A google-auth transport that sends IAM Credentials calls to a configured root."""

    def __init__(self, inner: Request, iam_base_url: str) -> None:
        self.inner = inner
        self.iam_base_url = iam_base_url.rstrip("/")

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = None, **kwargs: Any) -> Any:
        if url.startswith(IAM_ROOT):
            url = self.iam_base_url + url[len(IAM_ROOT):]
        return self.inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)


def runtime_identity(settings: GmailSettings, session: requests.Session) -> tuple[Credentials, str]:
    """The credentials that call signBlob and the service account that signs (the function's own)."""
    source, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
    email = settings.gmail_service_account_email or getattr(source, "service_account_email", None)
    if email in (None, "default"):  # the metadata server names the account only after a first refresh
        source.refresh(AuthRequest(session))
        email = getattr(source, "service_account_email", None)
    if not email or email == "default":
        raise ValueError("cannot tell the runtime's service account; set GMAIL_SERVICE_ACCOUNT_EMAIL")
    return source, str(email)


def mailbox_credentials(settings: GmailSettings, mailbox: str, session: requests.Session,
                        identity: tuple[Credentials, str] | None = None) -> Credentials:
    """Credentials that act as `mailbox` with the gmail.readonly scope only."""
    return delegated_credentials(settings, mailbox, GMAIL_READONLY, session, identity)


def delegated_credentials(settings: GmailSettings, subject: str, scope: str, session: requests.Session,
                          identity: tuple[Credentials, str] | None = None) -> Credentials:
    """Credentials that act as `subject` with this one scope (gmail.readonly for a mailbox, the Directory's
    read-only group members scope for the admin that lists a group)."""
    if settings.gmail_auth == "static_token":
        if settings.gmail_static_token is None:
            raise ValueError("GMAIL_AUTH=static_token needs GMAIL_STATIC_TOKEN")
        return user_credentials.Credentials(token=settings.gmail_static_token.get())
    source, signer_email = identity or runtime_identity(settings, session)
    signer = iam.Signer(IamRebasedRequest(AuthRequest(session), settings.gmail_iam_base_url), source,
                        signer_email)
    return service_account.Credentials(signer, signer_email, settings.gmail_token_uri, scopes=[scope],
                                       subject=subject)
