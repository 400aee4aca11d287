"""The Admin SDK Directory fake: the Workspace's Google groups and `members.list`.

The world's groups: `sales@` holds the reps whose mailboxes are synced (one of them through the nested group
`sales-leads@`), the former reps as suspended users, and an outside consultant; `sales-leads@` is listed in it as
a member of type GROUP. Only the admins (the world's System Administrator users) may list members.

GET /admin/directory/v1/groups/{groupKey}/members: `includeDerivedMembership` (nested groups' members too, once
each), `maxResults` 1-200 (default 200; over 200 is 400 "Invalid Input"), `pageToken`, `roles`; 404 for an
unknown group. Auth: the sandbox token, or a delegated token for an admin with the read-only members scope.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from sandbox.gmail_oauth import DIRECTORY_MEMBERS_READONLY as MEMBERS_READONLY
from sandbox.gmail_oauth import GoogleAuthFake
from sandbox.gmail_wire import ApiReply, google_error
from sandbox.world import SELLER_DOMAIN, World

MAX_RESULTS = 200
SALES_GROUP = f"sales@{SELLER_DOMAIN}"
LEADS_GROUP = f"sales-leads@{SELLER_DOMAIN}"
CONSULTANT = "consultant@salesboost-partners.com"


@dataclass
class Member:
    email: str
    type: str = "USER"
    """USER or GROUP (a nested group, whose own members count with includeDerivedMembership)."""
    status: str = "ACTIVE"
    role: str = "MEMBER"

    def resource(self, index: int) -> dict[str, Any]:
        body = {"kind": "admin#directory#member", "etag": f'"sandbox-member-{index}"', "id": f"1{index:020d}",
                "email": self.email, "role": self.role, "type": self.type}
        return body if self.type == "GROUP" else {**body, "status": self.status}


@dataclass
class Directory:
    world: World
    groups: dict[str, list[Member]] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """The world's groups, before any test changed a membership."""
        world = self.world
        admin_profiles = {p["Id"] for p in world.profiles if p["Name"] == "System Administrator"}
        self.admins = {u["Email"].lower() for u in world.users if u["ProfileId"] in admin_profiles}
        synced, *rest = world.mailboxes
        former = [u["Email"].lower() for u in world.users if not u["IsActive"]]
        with self.lock:
            self.groups = {
                SALES_GROUP: [*(Member(m) for m in rest), Member(LEADS_GROUP, "GROUP"),
                              *(Member(f, status="SUSPENDED") for f in former), Member(CONSULTANT)],
                LEADS_GROUP: [Member(synced, role="OWNER")],
            }

    def add_member(self, group: str, email: str, **kind: str) -> None:
        with self.lock:
            self.groups[group].append(Member(email.lower(), **kind))

    def remove_member(self, group: str, email: str) -> None:
        with self.lock:
            self.groups[group] = [m for m in self.groups[group] if m.email != email.lower()]

    def members(self, group: str, derived: bool) -> list[Member]:
        seen: dict[str, Member] = {}
        pending, visited = [group], set()
        while pending:
            current = pending.pop(0)
            visited.add(current)
            for member in self.groups.get(current, []):
                seen.setdefault(member.email, member)
                if derived and member.type == "GROUP" and member.email not in visited:
                    pending.append(member.email)
        return list(seen.values())

    def call(self, group: str, args: MultiDict[str, str], headers: dict[str, str], auth: GoogleAuthFake,
             fake_token: str) -> ApiReply:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return google_error(401, "Login Required.", "required")
        if token != fake_token:
            grant = auth.grant(token)
            if grant is None or MEMBERS_READONLY not in grant.scope.split():
                return google_error(401, "Invalid Credentials", "authError")
            if grant.mailbox not in self.admins:
                return google_error(403, "Not Authorized to access this resource/api", "forbidden")
        try:
            limit = int(args.get("maxResults", MAX_RESULTS))
            start = int(args.get("pageToken") or 0)
        except ValueError:
            return google_error(400, "Invalid Input", "invalid")
        if not 1 <= limit <= MAX_RESULTS or start < 0:
            return google_error(400, "Invalid Input", "invalid")
        with self.lock:
            if group.lower() not in self.groups:
                return google_error(404, "Resource Not Found: groupKey", "notFound")
            members = self.members(group.lower(), args.get("includeDerivedMembership", "false").lower() == "true")
        if roles := args.get("roles"):
            wanted = {r.strip().upper() for r in roles.split(",")}
            members = [m for m in members if m.role in wanted]
        page = members[start:start + limit]
        body: dict[str, Any] = {"kind": "admin#directory#members", "etag": '"sandbox-members"'}
        if page:
            body["members"] = [m.resource(start + i) for i, m in enumerate(page)]
        if start + limit < len(members):
            body["nextPageToken"] = str(start + limit)
        return ApiReply(200, body)
