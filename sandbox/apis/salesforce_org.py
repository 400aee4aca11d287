"""The fake org's own state beside the world's records: its connected app, the sessions it issued, the fields
it lacks and its Bulk API 2.0 jobs. Tests reach it with `salesforce_org(sandbox.state)`:

    org = salesforce_org(sandbox.state)
    org.expire_sessions()              # the next call with an issued token gets 401 INVALID_SESSION_ID
    org.hide_field("Contact", "Title")  # describe omits it and SOQL naming it fails with INVALID_FIELD
    org.add_field(state, "Account", "Tier__c", "int", {account_id: 2})  # a custom field created now
    org.change_field_type("Opportunity", "Seats__c", "string")  # describe says string; values stay as they are
    org.trust_jwt_key(public_pem)      # the connected app's certificate, for the JWT bearer grant
    org.hard_delete(state, "Contact", contact_id)  # gone from query/queryAll; getDeleted lists it
    org.clock = lambda: some_utc_datetime           # "now" for getDeleted's windows and delete times
"""

from __future__ import annotations

import itertools
import secrets
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.state import SandboxState
from sandbox.world_context import SELLER_DOMAIN
from sandbox.world_schema import COMPOUND_FIELDS, SF_FIELDS, SYSTEM_USER_ID

ORG_ID = "00DSB0000000001EAA"
CLIENT_ID = "3MVG9sandbox.fake.consumer.key"
CLIENT_SECRET = "sandbox-fake-consumer-secret"
INTEGRATION_USER = f"integration@{SELLER_DOMAIN}.sandbox"
INTEGRATION_USER_ID = SYSTEM_USER_ID
PASSWORD = "sandbox-fake-password"
SECURITY_TOKEN = "sandboxFakeSecurityToken"
REFRESH_TOKEN = "5Aep861sandbox.fake.refresh.token"
REQUIRED_FIELDS = ("Id", "SystemModstamp", "IsDeleted")
"""Fields an org cannot lack where the object has them (User has no IsDeleted)."""
DELETE_LOG_RETENTION = timedelta(days=15)
"""How far back getDeleted reaches: the delete log keeps about 15 days (less once the recycle bin is emptied)."""
REQUEST_LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
"""The 403 body of an org over its daily API allocation, for `sandbox.faults.add(path, status=403, body=…)`."""
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


@dataclass
class BulkJob:
    """One Bulk API 2.0 query job: its info document and the rows it selected, as CSV-ready strings."""

    info: dict[str, Any]
    header: list[str]
    rows: list[list[str]]
    polls: int = 0


@dataclass(frozen=True)
class DeletedRecord:
    object_type: str
    record_id: str
    deleted_at: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SalesforceOrg:
    sessions: dict[str, str] = field(default_factory=dict)
    """Access token → username, for every session the token endpoint issued."""
    expired: set[str] = field(default_factory=set)
    jwt_keys: list[str] = field(default_factory=list)
    experience_sites: list[str] = field(default_factory=list)
    """Experience Cloud site URLs, accepted as a JWT `aud` beside login/test.salesforce.com."""
    hidden: dict[str, set[str]] = field(default_factory=dict)
    added: dict[str, dict[str, str]] = field(default_factory=dict)
    """Custom fields created after the world was built (`add_field`): object → field → Salesforce type."""
    retyped: dict[str, dict[str, str]] = field(default_factory=dict)
    """Custom fields whose type an admin changed (`change_field_type`): object → field → new Salesforce type."""
    jobs: dict[str, BulkJob] = field(default_factory=dict)
    polls_until_complete: int = 1
    """How many status polls a bulk job answers InProgress before JobComplete."""
    refresh_tokens: set[str] = field(default_factory=lambda: {REFRESH_TOKEN})
    delete_log: list[DeletedRecord] = field(default_factory=list)
    """Hard deletes (records no longer in query or queryAll), as getDeleted lists them."""
    purged_at: datetime | None = None
    """When the delete log was last emptied (`purge_delete_log`): getDeleted reaches back no further."""
    clock: Callable[[], datetime] = _utcnow
    lock: threading.RLock = field(default_factory=threading.RLock)
    _job_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def issue(self, username: str) -> str:
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(24)}"
        with self.lock:
            self.sessions[token] = username
        return token

    def expire_sessions(self) -> int:
        """Every session issued so far expires; returns how many."""
        with self.lock:
            self.expired.update(self.sessions)
            return len(self.sessions)

    def session_is_live(self, token: str) -> bool:
        """Any non-empty token the org did not expire is live (tests may pass a made-up session id)."""
        with self.lock:
            return bool(token.strip()) and token not in self.expired

    def trust_jwt_key(self, public_key_pem: str) -> None:
        with self.lock:
            self.jwt_keys.append(public_key_pem)

    def hide_field(self, object_type: str, name: str) -> None:
        """A compound field (world_schema.COMPOUND_FIELDS) is hidden with its components, as field-level
        security hides them together."""
        if name in REQUIRED_FIELDS and name in SF_FIELDS[object_type]:
            raise ValueError(f"{name} exists on every {object_type}")
        names = COMPOUND_FIELDS[name][1] if name in COMPOUND_FIELDS else (name,)
        with self.lock:
            self.hidden.setdefault(object_type, set()).update(names)

    def add_field(self, state: SandboxState, object_type: str, name: str, kind: str,
                  values: Mapping[str, Any]) -> None:
        """An admin creates a custom field now: describe lists it at once with its type, SOQL and Bulk return it,
        and the records gain their values (record Id → value; the others null) without a SystemModstamp change,
        as in Salesforce."""
        if not name.endswith("__c"):
            raise ValueError("a field an admin adds is a custom field: its name ends in __c")
        with state.lock:
            for record in state.world.records(object_type):
                record[name] = values.get(record["Id"])
        with self.lock:
            self.added.setdefault(object_type, {})[name] = kind

    def added_type(self, object_type: str, name: str) -> str | None:
        with self.lock:
            return self.added.get(object_type, {}).get(name)

    def change_field_type(self, object_type: str, name: str, kind: str) -> None:
        """An admin changes a custom field's type now: describe reports `kind` at once; the records keep their
        values (and their SystemModstamp), for the caller to convert under the state lock if it wants."""
        if not name.endswith("__c"):
            raise ValueError("only a custom field's type can be changed: its name ends in __c")
        if name not in self.fields(object_type):
            raise KeyError(f"{object_type} has no field {name}")
        with self.lock:
            self.retyped.setdefault(object_type, {})[name] = kind

    def retyped_type(self, object_type: str, name: str) -> str | None:
        with self.lock:
            return self.retyped.get(object_type, {}).get(name)

    def fields(self, object_type: str) -> tuple[str, ...]:
        with self.lock:
            hidden = self.hidden.get(object_type, set())
            added = tuple(self.added.get(object_type, {}))
        return tuple(name for name in (*SF_FIELDS[object_type], *added) if name not in hidden)

    def schema(self) -> dict[str, tuple[str, ...]]:
        """Object → the fields this org has (the world's, less hidden ones)."""
        return {object_type: self.fields(object_type) for object_type in SF_FIELDS}

    def hard_delete(self, state: SandboxState, object_type: str, record_id: str,
                    at: datetime | None = None) -> DeletedRecord:
        """Delete a record for good (recycle bin emptied): it leaves the world, so neither query nor queryAll
        nor a Bulk job returns it again; getDeleted lists it, with `at` (default: the clock) as deletedDate."""
        if "IsDeleted" not in SF_FIELDS[object_type]:
            raise ValueError(f"{object_type} records are not deleted this way (users are deactivated)")
        with state.lock:
            records = state.world.records(object_type)
            found = next((n for n, r in enumerate(records) if r["Id"] == record_id), None)
            if found is None:
                raise KeyError(f"no {object_type} {record_id}")
            del records[found]
        entry = DeletedRecord(object_type, record_id, (at or self.clock()).astimezone(UTC))
        with self.lock:
            self.delete_log.append(entry)
        return entry

    def purge_delete_log(self) -> None:
        """An administrator empties the recycle bin: getDeleted no longer reaches before now."""
        with self.lock:
            self.purged_at = self.clock().astimezone(UTC)
            self.delete_log.clear()

    def earliest_date_available(self) -> datetime:
        """The oldest moment getDeleted still covers (its `earliestDateAvailable`)."""
        with self.lock:
            horizon = self.clock().astimezone(UTC) - DELETE_LOG_RETENTION
            return max(horizon, self.purged_at) if self.purged_at else horizon

    def new_job_id(self) -> str:
        with self.lock:
            return f"750SB{next(self._job_numbers):010d}AAA"


_orgs: dict[int, SalesforceOrg] = {}
_orgs_lock = threading.Lock()


def salesforce_org(state: SandboxState) -> SalesforceOrg:
    """The org of one running sandbox (created on first use, forgotten with the state)."""
    with _orgs_lock:
        org = _orgs.get(id(state))
        if org is None:
            org = _orgs[id(state)] = SalesforceOrg()
            weakref.finalize(state, _forget, id(state))
        return org


def _forget(state_id: int) -> None:
    with _orgs_lock:
        _orgs.pop(state_id, None)
