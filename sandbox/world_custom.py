"""The org's custom fields and its one custom object, Competitor__c, filled from their own random stream after
every standard record exists (so they reshuffle nothing else). Salesforce leaves SystemModstamp alone when an admin
adds a field; records only gain values. Accounts' headquarters locations (HQ_Location__c's components) have a
stream of their own as well, drawn last, so that adding them changed no value the world held before."""

from __future__ import annotations

import random
from datetime import timedelta

from sandbox.world_context import GenContext
from sandbox.world_crm import Crm
from sandbox.world_ids import IdFactory
from sandbox.world_schema import PICKLISTS, SfRecord, sf_record

_COMPETITORS = (("Acme Insights", "acme-insights.com"), ("DataHive", "datahive.io"), ("Looker", "looker.com"),
                ("Tableau", "tableau.com"))


def _maybe(rng: random.Random, value: object, share: float = 0.8) -> object:
    return value if rng.random() < share else None


def fill_custom_fields(ctx: GenContext, crm: Crm) -> None:
    rng = ctx.rng("custom_fields")
    for account in crm.accounts:
        revenue = account["AnnualRevenue"] or 0
        segment = "Enterprise" if revenue > 500_000_000 else "Mid-Market" if revenue > 50_000_000 else "SMB"
        account["Segment__c"] = _maybe(rng, segment, 0.9)
        account["Budget__c"] = _maybe(rng, round(rng.uniform(5_000, 250_000), 2), 0.6)
        account["Renewal_Date__c"] = _maybe(rng, (ctx.anchor + timedelta(days=rng.randrange(-30, 365))).date(), 0.5)
        account["Strategic__c"] = rng.random() < 0.2
    for contact in crm.contacts:
        contact["Preferred_Channel__c"] = _maybe(rng, rng.choice(PICKLISTS["Preferred_Channel__c"]), 0.5)
    for opportunity in crm.opportunities:
        names = rng.sample(PICKLISTS["Competitors__c"], k=rng.randrange(0, 3))
        opportunity["Competitors__c"] = ";".join(sorted(names)) or None
        opportunity["Seats__c"] = _maybe(rng, float(rng.randrange(5, 500)), 0.7)
        opportunity["Win_Probability__c"] = _maybe(rng, round(rng.uniform(5, 95), 1), 0.6)
    fill_custom_locations(ctx, crm)


def fill_custom_locations(ctx: GenContext, crm: Crm) -> None:
    rng = ctx.rng("custom_locations")
    for account in crm.accounts:
        if rng.random() < 0.6:
            account["HQ_Location__Latitude__s"] = round(rng.uniform(-60, 70), 6)
            account["HQ_Location__Longitude__s"] = round(rng.uniform(-170, 170), 6)


def build_competitors(ctx: GenContext, crm: Crm) -> list[SfRecord]:
    """One Competitor__c per competitor met at an account, owned by the account's owner."""
    rng = ctx.rng("competitors")
    ids = IdFactory(ctx.rng("ids/competitors"))
    records = []
    for account in rng.sample(crm.accounts, k=min(len(crm.accounts), 6 * ctx.scale)):
        name, domain = rng.choice(_COMPETITORS)
        created = ctx.anchor - timedelta(days=rng.randrange(10, 400))
        records.append(sf_record("Competitor__c", created, created + timedelta(days=rng.randrange(0, 9)),
                                 Id=ids.sf("a01"), OwnerId=account["OwnerId"], Name=f"{name} at {account['Name']}",
                                 Website__c=f"https://www.{domain}", Threat__c=rng.choice(PICKLISTS["Threat__c"]),
                                 Account__c=account["Id"]))
    return records
