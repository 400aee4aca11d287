"""The engineering org: people, Anthropic workspaces and API keys, and the key→person mapping sheet."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sandbox.world_context import SELLER_DOMAIN, GenContext
from sandbox.world_ids import BASE62
from sandbox.world_people import slugify
from sandbox.world_truth import Truth

TEAMS = ("platform", "data", "ml", "frontend", "mobile", "security")
SHEET_HEADER = ["api_key_name", "user_email", "description", "platform"]
_DEVICES = ("laptop", "dev", "notebook", "desktop", "sandbox")
_SERVICES = ("ci-pipeline", "eval-harness", "support-bot-prod", "data-enrichment-etl", "nightly-summaries")


@dataclass(slots=True)
class Engineer:
    name: str
    email: str
    team: str
    anthropic_user_id: str
    uses_claude_code: bool
    uses_cursor: bool


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str | None
    """None is the default workspace, which the usage report shows as a null workspace_id."""
    name: str


@dataclass(slots=True)
class ApiKey:
    id: str
    name: str
    workspace_id: str | None
    created_at: datetime
    status: str
    owner_email: str | None
    """Today's owner; None for service keys."""
    created_by_user_id: str
    partial_key_hint: str
    previous_owner_email: str | None = None
    handover_date: date | None = None
    """Usage before this day belongs to `previous_owner_email`."""
    active_until: date | None = None
    """Last day with usage, for keys switched off during the period."""

    def owner_on(self, day: date) -> str | None:
        if self.handover_date and day < self.handover_date:
            return self.previous_owner_email
        return self.owner_email


@dataclass
class Org:
    engineers: list[Engineer] = field(default_factory=list)
    workspaces: list[Workspace] = field(default_factory=list)
    api_keys: list[ApiKey] = field(default_factory=list)
    key_mapping_sheet: list[list[str]] = field(default_factory=list)


def build_org(ctx: GenContext, truth: Truth) -> Org:
    rng = ctx.rng("engineering")
    org = Org()
    for _ in range(16 * ctx.scale):
        first, last = ctx.names.person()
        email = ctx.unique_email(f"{slugify(first)}.{slugify(last)}", SELLER_DOMAIN)
        org.engineers.append(Engineer(f"{first} {last}", email, rng.choice(TEAMS), ctx.ids.anthropic("user"),
                                      rng.random() < 0.7, rng.random() < 0.75))
    org.workspaces = [Workspace(None, "Default")] + [
        Workspace(ctx.ids.anthropic("wrkspc"), name) for name in ("Engineering", "Production", "Research")]
    _personal_keys(ctx, rng, org)
    _service_keys(ctx, rng, org)
    _handover_keys(ctx, rng, org)
    for key in org.api_keys:
        truth.key_owner[key.id] = key.owner_email
        if key.handover_date and key.previous_owner_email and key.owner_email:
            truth.key_handovers[key.id] = (key.handover_date, key.previous_owner_email, key.owner_email)
    org.key_mapping_sheet = _sheet(rng, org, truth)
    return org


def _new_key(ctx: GenContext, rng: random.Random, org: Org, name: str, workspace: Workspace,
             owner: Engineer | None) -> ApiKey:
    creator = owner or rng.choice(org.engineers)
    hint = f"sk-ant-api03-{''.join(rng.choices(BASE62, k=4))}...{''.join(rng.choices(BASE62, k=4))}"
    created = ctx.anchor - timedelta(days=rng.randrange(50, 500), microseconds=rng.randrange(10**11))
    key = ApiKey(ctx.ids.anthropic("apikey"), name, workspace.id, created, "active",
                 owner.email if owner else None, creator.anthropic_user_id, hint)
    org.api_keys.append(key)
    return key


def _personal_keys(ctx: GenContext, rng: random.Random, org: Org) -> None:
    taken: set[str] = set()
    default, engineering, _production, research = org.workspaces
    for engineer in org.engineers:
        if rng.random() > 0.85:
            continue
        for device in rng.sample(_DEVICES, k=1 if rng.random() < 0.7 else 2):
            first = slugify(engineer.name.split(" ")[0])
            name = f"{first}-{device}"
            if name in taken:
                name = f"{engineer.email.split('@')[0].replace('.', '-')}-{device}"
            taken.add(name)
            space = research if engineer.team == "ml" and rng.random() < 0.5 else rng.choice(
                (engineering, engineering, engineering, default))
            _new_key(ctx, rng, org, name, space, engineer)
    personal = list(org.api_keys)
    for key in rng.sample(personal, k=min(len(personal), ctx.scale)):
        key.status = "inactive"
        key.active_until = (ctx.anchor - timedelta(days=rng.randrange(5, 25))).date()
    still_active = [k for k in personal if k.status == "active"]
    for key in rng.sample(still_active, k=min(len(personal) // 4, ctx.scale)):
        key.status = "archived"
        key.active_until = (ctx.anchor - timedelta(days=rng.randrange(60, 120))).date()
        key.created_at = min(key.created_at, ctx.anchor - timedelta(days=200))


def _service_keys(ctx: GenContext, rng: random.Random, org: Org) -> None:
    production = org.workspaces[2]
    for round_ in range(ctx.scale):
        for service in _SERVICES:
            _new_key(ctx, rng, org, service if round_ == 0 else f"{service}-{round_ + 1}", production, None)


def _handover_keys(ctx: GenContext, rng: random.Random, org: Org) -> None:
    """A shared box's key that passed from one engineer to another in the middle of the period."""
    for round_ in range(ctx.scale):
        before, after = rng.sample(org.engineers, 2)
        name = "shared-gpu-box" if round_ == 0 else f"shared-gpu-box-{round_ + 1}"
        key = _new_key(ctx, rng, org, name, org.workspaces[1], after)
        key.previous_owner_email, key.created_by_user_id = before.email, before.anthropic_user_id
        key.handover_date = (ctx.anchor - timedelta(days=rng.randrange(12, 30))).date()


def _sheet(rng: random.Random, org: Org, truth: Truth) -> list[list[str]]:
    """The finance team's mapping sheet: mostly right, with the mistakes people really make."""
    rows = [list(SHEET_HEADER)]
    for key in org.api_keys:
        if key.owner_email and (key.handover_date or rng.random() < 0.9):
            email = key.owner_email if rng.random() < 0.85 else f"  {key.owner_email.title()} "
            note = f"since {key.handover_date}, was {key.previous_owner_email}" if key.handover_date else None
            rows.append([key.name, email, note or "personal", "anthropic"])
        elif key.owner_email is None and rng.random() < 0.6:
            owner = rng.choice(org.engineers)
            full = rng.random() < 0.8
            rows.append([key.name, owner.email, "service key, billed to team", "anthropic"] if full
                        else [key.name, owner.email])
    someone = rng.choice(org.engineers)
    duplicated = rows[1][0] if len(rows) > 1 else org.api_keys[0].name
    bad = [
        (["legacy-notebook-2023", someone.email, "old key", "anthropic"], "unknown key name"),
        ([duplicated, rng.choice(org.engineers).email, "duplicate entry", "anthropic"], "duplicate key name"),
        (["temp-intern-key", someone.email.replace("@", " at "), "intern", "anthropic"], "invalid email"),
    ]
    for row, _reason in bad:
        rows.insert(rng.randrange(min(2, len(rows)), len(rows) + 1), row)
    truth.sheet_bad_rows = {index: reason for index, row in enumerate(rows) for bad_row, reason in bad
                            if row is bad_row}
    return rows
