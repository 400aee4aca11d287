"""The members of a Google group, from the Admin SDK Directory API (`members.list`), for GMAIL_MAILBOX_SOURCE=group.

The call acts as GMAIL_DIRECTORY_ADMIN through the same keyless delegation as the mailboxes, with the one
read-only scope `admin.directory.group.member.readonly` (the Workspace admin grants it to the function's client
id beside gmail.readonly). Members of nested groups are listed too (`includeDerivedMembership`); only active
users are mailboxes: a suspended user, a nested group's own address and external members are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gmail_auth import delegated_credentials, runtime_identity
from gmail_settings import DIRECTORY_MEMBERS_READONLY, GmailSettings
from google.auth.credentials import Credentials
from googleapiclient.discovery import build

from shared.google_http import SessionHttp
from shared.http import HttpPolicy, make_session

PAGE_SIZE = 200
"""members.list allows at most 200 a page."""


class GroupDirectory:
    def __init__(self, settings: GmailSettings, identity: tuple[Credentials, str] | None = None) -> None:
        session = make_session(HttpPolicy.from_settings(settings, source="directory"))
        if settings.gmail_auth == "delegated" and identity is None:
            identity = runtime_identity(settings, session)
        subject = settings.gmail_directory_admin or ""
        self.http = SessionHttp(session, delegated_credentials(settings, subject, DIRECTORY_MEMBERS_READONLY,
                                                               session, identity))
        base = settings.gmail_directory_base_url.rstrip("/")
        self.service = build("admin", "directory_v1", http=self.http, static_discovery=True, cache_discovery=False,
                             client_options={"api_endpoint": f"{base}/"})

    def members(self, group: str) -> Iterator[dict[str, Any]]:
        """Every member of the group and of the groups nested in it, page by page."""
        token: str | None = None
        while True:
            page = self.service.members().list(groupKey=group, includeDerivedMembership=True, maxResults=PAGE_SIZE,
                                               pageToken=token).execute(http=self.http)
            yield from page.get("members") or []
            token = page.get("nextPageToken")
            if not token:
                return

    def mailboxes(self, group: str) -> list[str]:
        """The group's active users' addresses, lower case, each once."""
        found = {str(m["email"]).strip().lower() for m in self.members(group)
                 if m.get("type") == "USER" and m.get("status") == "ACTIVE" and m.get("email")}
        return sorted(found)
