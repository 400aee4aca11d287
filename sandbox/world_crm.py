"""The selling company's users and its accounts and contacts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.world_context import SELLER_DOMAIN, GenContext, moment
from sandbox.world_ids import IdFactory
from sandbox.world_people import CUSTOMER_TITLES, local_part, slugify
from sandbox.world_phones import Phone, display
from sandbox.world_schema import SfRecord, sf_record
from sandbox.world_truth import Truth

REP_TITLES = ("Account Executive", "Senior Account Executive", "Enterprise Account Executive",
              "Sales Development Rep")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Trade Show", "Webinar",
                "Other")
_COUNTRIES = (  # (code, BillingCountry spellings, TLDs, legal suffixes, weight)
    ("US", ("United States", "United States", "USA"), ("com", "com", "io", "ai"),
     (", Inc.", " Inc", " LLC", ""), 55),
    ("GB", ("United Kingdom", "UK"), ("co.uk", "co.uk", "com"), (" Ltd", " plc", ""), 20),
    ("AU", ("Australia",), ("com.au",), (" Pty Ltd", ""), 12),
    ("CA", ("Canada",), ("ca", "com"), (" Inc.", ""), 13),
)
COUNTRY_NAMES = {"US": "United States", "GB": "United Kingdom", "AU": "Australia", "CA": "Canada"}
_ACCOUNT_TYPES = ("Prospect", "Prospect", "Customer - Direct", "Customer - Direct", "Customer - Channel",
                  "Technology Partner")


@dataclass(slots=True)
class Rep:
    """A salesperson: a Salesforce User, a Dialpad user and (for some) a synced Gmail mailbox."""

    user_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    dialpad_user_id: str
    has_mailbox: bool

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class Crm:
    users: list[SfRecord] = field(default_factory=list)
    reps: list[Rep] = field(default_factory=list)
    accounts: list[SfRecord] = field(default_factory=list)
    contacts: list[SfRecord] = field(default_factory=list)
    leads: list[SfRecord] = field(default_factory=list)
    opportunities: list[SfRecord] = field(default_factory=list)
    countries: dict[str, str] = field(default_factory=dict)
    """Account id → country code, which decides phone formats and mail TLDs."""
    phones: dict[str, Phone] = field(default_factory=dict)
    """Contact or Lead id → its number (the record itself holds the number as typed)."""
    cases: dict[str, list[str]] = field(default_factory=dict)
    """Identity case → the record ids generated for it on purpose (see world_identity)."""
    profiles: list[SfRecord] = field(default_factory=list)
    user_roles: list[SfRecord] = field(default_factory=list)


PROFILES = ("System Administrator", "Sales User", "API Only")
ROLES = ("Field Sales", "Inside Sales", "Sales Operations")
"""Reps with a synced mailbox are in Field Sales (so are the former reps), the others in Inside Sales."""


def build_setup(ctx: GenContext, crm: Crm) -> dict[str, str]:
    """Profiles and roles, from their own id stream (the setup objects exist before any user); name → Id."""
    ids = IdFactory(ctx.rng("ids/setup"))
    created = ctx.anchor - timedelta(days=2500)
    for name in PROFILES:
        crm.profiles.append(sf_record("Profile", created, Id=ids.sf("00e"), Name=name,
                                      Description=f"{name} profile"))
    top = None
    for name in reversed(ROLES):  # Sales Operations heads the other two
        crm.user_roles.append(sf_record("UserRole", created, Id=ids.sf("00E"), Name=name,
                                        DeveloperName=name.replace(" ", "_"), ParentRoleId=top))
        top = top or crm.user_roles[-1]["Id"]
    return {r["Name"]: r["Id"] for r in (*crm.profiles, *crm.user_roles)}


def build_users(ctx: GenContext, crm: Crm) -> None:
    rng = ctx.rng("users")
    setup = build_setup(ctx, crm)
    for index in range(8 * ctx.scale):
        first, last = ctx.names.person()
        email = ctx.unique_email(f"{slugify(first)}.{slugify(last)}", SELLER_DOMAIN)
        created = ctx.anchor - timedelta(days=rng.randrange(120, 1500))
        user_id = ctx.ids.sf("005")
        phone = ctx.phones.new("US").e164
        title, dialpad_id = rng.choice(REP_TITLES), ctx.ids.numeric(16)
        rep = Rep(user_id, first, last, email, phone, title, dialpad_id, has_mailbox=index % 2 == 0)
        crm.reps.append(rep)
        role = setup["Field Sales" if rep.has_mailbox else "Inside Sales"]
        crm.users.append(_user(user_id, first, last, email, rep.title, phone, True, created, "Sales",
                               setup["Sales User"], role))
    for first, last, title, active in _staff(ctx.scale):
        email = ctx.unique_email(f"{slugify(first)}.{slugify(last)}", SELLER_DOMAIN)
        created = ctx.anchor - timedelta(days=rng.randrange(400, 2000))
        user_id = ctx.ids.sf("005")
        profile, staff_role = _STAFF_SETUP.get(title, ("Sales User", "Field Sales"))
        crm.users.append(_user(user_id, first, last, email, title, None, active, created, "Operations",
                               setup[profile], setup.get(staff_role or "")))


_STAFF_SETUP: dict[str, tuple[str, str | None]] = {
    "Salesforce Administrator": ("System Administrator", "Sales Operations"), "API Only": ("API Only", None)}


def _staff(scale: int) -> list[tuple[str, str, str, bool]]:
    staff = [("Sales", "Ops Admin", "Salesforce Administrator", True),
             ("Integration", "User", "API Only", True)]
    former = [("Greta", "Lindqvist"), ("Marcus", "Boyd"), ("Olu", "Adebayo")]
    staff += [(*former[n % 3], "Account Executive", False) for n in range(scale)]
    return staff


def _user(user_id: str, first: str, last: str, email: str, title: str, phone: str | None, active: bool,
          created: datetime, department: str, profile_id: str, role_id: str | None) -> SfRecord:
    return sf_record("User", created, created + timedelta(days=30), Id=user_id, Username=f"{email}.prod",
                     FirstName=first, LastName=last, Name=f"{first} {last}", Email=email, Title=title,
                     Phone=phone, Department=department, IsActive=active, UserType="Standard",
                     ProfileId=profile_id, UserRoleId=role_id)


def build_accounts(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    rng = ctx.rng("accounts")
    owners = [rep.user_id for rep in crm.reps]
    inactive = [u["Id"] for u in crm.users if not u["IsActive"]]
    for index in range(40 * ctx.scale):
        code, spellings, tlds, legal, _weight = rng.choices(_COUNTRIES, weights=[c[4] for c in _COUNTRIES])[0]
        company = ctx.names.company(rng.choice(tlds))
        created = ctx.anchor - timedelta(days=rng.randrange(60, 900), seconds=rng.randrange(86400))
        employees = int(10 ** rng.uniform(1.3, 4.7))
        parent = rng.choice(crm.accounts)["Id"] if len(crm.accounts) > 5 and rng.random() < 0.08 else None
        account = sf_record(
            "Account", created, moment(rng, created, ctx.anchor), Id=ctx.ids.sf("001"),
            OwnerId=rng.choice(inactive) if inactive and rng.random() < 0.04 else rng.choice(owners),
            Name=company.name + rng.choice(legal),
            Website=None if index % 16 == 5 else website(rng, company.domain),
            Industry=company.industry if rng.random() < 0.9 else None, Type=rng.choice(_ACCOUNT_TYPES),
            AnnualRevenue=_revenue(rng, employees),
            NumberOfEmployees=employees, BillingCountry=rng.choice(spellings), ParentId=parent,
        )
        crm.accounts.append(account)
        crm.countries[account["Id"]] = code
        truth.account_domains[account["Id"]] = company.domain
        truth.domain_to_account[company.domain] = account["Id"]
        if rng.random() < 0.3:
            truth.in_market_accounts.add(account["Id"])


def _revenue(rng: random.Random, employees: int) -> float | None:
    return float(round(employees * rng.uniform(90, 420), -1) * 1000) if rng.random() < 0.85 else None


def website(rng: random.Random, domain: str) -> str:
    """Websites as people type them: scheme or not, www or not, trailing paths, odd case."""
    return rng.choice((
        f"https://www.{domain}", f"https://www.{domain}", f"http://www.{domain}", f"https://{domain}/",
        f"www.{domain}", domain, f"https://www.{domain}/en-us", f"HTTPS://WWW.{domain.upper()}",
        f"http://{domain}", f"https://www.{domain}/?utm_source=crm",
    ))


def build_contacts(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    rng = ctx.rng("contacts")
    total = 160 * ctx.scale
    per_account = [1] * len(crm.accounts)
    for index in rng.choices(range(len(crm.accounts)), k=total - len(crm.accounts)):
        per_account[index] += 1
    for account, count in zip(crm.accounts, per_account, strict=True):
        for _ in range(count):
            crm.contacts.append(_contact(ctx, rng, crm, truth, account))


def _contact(ctx: GenContext, rng: random.Random, crm: Crm, truth: Truth, account: SfRecord) -> SfRecord:
    first, last = ctx.names.person()
    domain = truth.account_domains[account["Id"]]
    email = ctx.unique_email(local_part(rng, first, last), domain) if rng.random() > 0.04 else None
    phone = ctx.phones.new(crm.countries[account["Id"]]) if rng.random() > 0.1 else None
    created = moment(rng, account["CreatedDate"], ctx.anchor - timedelta(days=3))
    contact = sf_record(
        "Contact", created, moment(rng, created, ctx.anchor), Id=ctx.ids.sf("003"),
        OwnerId=account["OwnerId"], AccountId=account["Id"], FirstName=first, LastName=last,
        Name=f"{first} {last}", Email=vary_case(rng, email) if email else None,
        Title=rng.choice(CUSTOMER_TITLES), Phone=display(rng, phone) if phone else None,
        MailingCountry=account["BillingCountry"], LeadSource=rng.choice(LEAD_SOURCES),
    )
    if email:
        truth.email_to_record[email.lower()] = contact["Id"]
    if phone:
        truth.phone_to_contact[phone.e164] = contact["Id"]
        crm.phones[contact["Id"]] = phone
    return contact


def vary_case(rng: random.Random, email: str) -> str:
    """Most addresses are lowercase; CRMs also hold `Jane.Doe@Acme.com` and `JDOE@ACME.COM`."""
    local, domain = email.split("@")
    roll = rng.random()
    if roll < 0.8:
        return email
    if roll < 0.92:
        name, tld = domain.split(".", 1)
        return ".".join(part.capitalize() for part in local.split(".")) + f"@{name.capitalize()}.{tld}"
    if roll < 0.97:
        return f"{local}@{domain.upper()}"
    return email.upper()

