"""Opportunities and leads: the pipeline on top of the accounts and contacts."""

from __future__ import annotations

import random
from datetime import timedelta

from sandbox.world_context import GenContext, moment
from sandbox.world_crm import COUNTRY_NAMES, LEAD_SOURCES, Crm, vary_case
from sandbox.world_intent import days_to_close, open_stage_index
from sandbox.world_people import CUSTOMER_TITLES, Company, local_part
from sandbox.world_phones import display
from sandbox.world_schema import SfRecord, sf_record
from sandbox.world_truth import Truth

STAGES = (  # (StageName, Probability, ForecastCategoryName)
    ("Prospecting", 10, "Pipeline"), ("Qualification", 10, "Pipeline"), ("Needs Analysis", 20, "Pipeline"),
    ("Value Proposition", 50, "Pipeline"), ("Id. Decision Makers", 60, "Pipeline"),
    ("Perception Analysis", 70, "Best Case"), ("Proposal/Price Quote", 75, "Best Case"),
    ("Negotiation/Review", 90, "Commit"), ("Closed Won", 100, "Closed"), ("Closed Lost", 0, "Omitted"),
)
_DEALS = ("Platform", "Expansion", "Analytics Suite", "Pilot", "Enterprise License", "Add-on Seats",
          "Renewal")
_NEXT_STEPS = (
    "Send revised quote", "Security questionnaire due Friday", "Schedule exec sponsor call",
    "Waiting on budget approval", "Legal redlines on MSA", "Book technical deep dive", "Confirm seat count",
)
_FREE_MAIL = ("gmail.com", "gmail.com", "outlook.com", "yahoo.com")
_TLDS = {"US": "com", "GB": "co.uk", "AU": "com.au", "CA": "ca"}
_OPEN_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Working - Contacted",
                  "Closed - Not Converted")


def build_opportunities(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    rng = ctx.rng("opportunities")
    tilt = ctx.rng("buying_intent/opportunities")
    accounts = crm.accounts
    owners = {rep.user_id for rep in crm.reps}
    chosen = list(accounts) + rng.choices(accounts, k=max(60 * ctx.scale - len(accounts), 0))
    for number, account in enumerate(chosen):
        intent = truth.buying_intent[account["Id"]]
        in_market = account["Id"] in truth.in_market_accounts and number < len(accounts)
        index = rng.randrange(4, 8) if in_market else rng.randrange(len(STAGES))
        if not STAGES[index][0].startswith("Closed"):
            index = open_stage_index(index, intent, tilt.uniform(-1, 1), 4 if in_market else 0)
        owner = account["OwnerId"] if account["OwnerId"] in owners else rng.choice(crm.reps).user_id
        crm.opportunities.append(_opportunity(ctx, rng, account, STAGES[index], owner, intent))


def _opportunity(ctx: GenContext, rng: random.Random, account: SfRecord, stage: tuple[str, int, str],
                 owner: str, intent: float) -> SfRecord:
    name, probability, forecast = stage
    closed = name.startswith("Closed")
    created = moment(rng, max(account["CreatedDate"], ctx.anchor - timedelta(days=400)), ctx.anchor)
    later = ctx.anchor + timedelta(days=days_to_close(rng.randrange(5, 150), intent))
    closes = moment(rng, created, ctx.anchor) if closed else later
    deal = rng.choice(_DEALS)
    kind = "Existing Customer - Renewal" if deal == "Renewal" else rng.choice(
        ("New Business", "New Business", "Existing Customer - Upgrade"))
    return sf_record(
        "Opportunity", created, moment(rng, created, ctx.anchor), Id=ctx.ids.sf("006"), OwnerId=owner,
        AccountId=account["Id"], Name=f"{account['Name']} - {deal}", StageName=name,
        Amount=float(rng.randrange(16, 800) * 500) if rng.random() > 0.03 else None, CloseDate=closes.date(),
        Probability=float(probability), IsClosed=closed, IsWon=name == "Closed Won",
        ForecastCategoryName=forecast,
        Type=kind, LeadSource=rng.choice(LEAD_SOURCES) if rng.random() < 0.8 else None,
        NextStep=None if closed else rng.choice(_NEXT_STEPS),
    )


def build_leads(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    rng = ctx.rng("leads")
    total = 60 * ctx.scale
    converted = rng.sample(crm.contacts, k=total // 4)
    first_opportunity: dict[str, str] = {}
    for opportunity in reversed(crm.opportunities):
        first_opportunity[opportunity["AccountId"]] = opportunity["Id"]
    accounts = {account["Id"]: account for account in crm.accounts}
    for contact in converted:
        account = accounts[contact["AccountId"]]
        crm.leads.append(_converted_lead(ctx, rng, account, contact, first_opportunity.get(account["Id"])))
    while len(crm.leads) < total:
        crm.leads.append(_open_lead(ctx, rng, crm, truth))


def _converted_lead(ctx: GenContext, rng: random.Random, account: SfRecord, contact: SfRecord,
                    opportunity_id: str | None) -> SfRecord:
    created = contact["CreatedDate"] - timedelta(days=rng.randrange(3, 60))
    return sf_record(
        "Lead", created, contact["CreatedDate"], Id=ctx.ids.sf("00Q"), OwnerId=contact["OwnerId"],
        FirstName=contact["FirstName"], LastName=contact["LastName"], Name=contact["Name"],
        Email=contact["Email"].lower() if contact["Email"] else None, Company=account["Name"],
        Title=contact["Title"], Phone=contact["Phone"], Country=account["BillingCountry"],
        Status="Closed - Converted", LeadSource=contact["LeadSource"], Industry=account["Industry"],
        IsConverted=True, ConvertedDate=contact["CreatedDate"].date(), ConvertedAccountId=account["Id"],
        ConvertedContactId=contact["Id"], ConvertedOpportunityId=opportunity_id,
    )


def _lead_company(ctx: GenContext, rng: random.Random, crm: Crm, truth: Truth) -> tuple[Company, str]:
    """(company, country): a known account's (30%), a new company (62%), or a new one with free mail."""
    roll = rng.random()
    if roll < 0.3:
        account = rng.choice(crm.accounts)
        domain = truth.account_domains[account["Id"]]
        return Company(account["Name"], domain, account["Industry"]), crm.countries[account["Id"]]
    country = rng.choice(("US", "US", "US", "GB", "AU", "CA"))
    new = ctx.names.company(_TLDS[country])
    return (Company(new.name, rng.choice(_FREE_MAIL), new.industry) if roll > 0.92 else new), country


def _open_lead(ctx: GenContext, rng: random.Random, crm: Crm, truth: Truth) -> SfRecord:
    first, last = ctx.names.person()
    company, country = _lead_company(ctx, rng, crm, truth)
    email = ctx.unique_email(local_part(rng, first, last), company.domain) if rng.random() > 0.03 else None
    phone = ctx.phones.new(country) if rng.random() > 0.2 else None
    created = ctx.anchor - timedelta(days=rng.randrange(1, 300), seconds=rng.randrange(86400))
    lead = sf_record(
        "Lead", created, moment(rng, created, ctx.anchor), Id=ctx.ids.sf("00Q"),
        OwnerId=rng.choice(crm.reps).user_id, FirstName=first, LastName=last, Name=f"{first} {last}",
        Email=vary_case(rng, email) if email else None, Company=company.name,
        Title=rng.choice(CUSTOMER_TITLES), Phone=display(rng, phone) if phone else None,
        Country=COUNTRY_NAMES[country],
        Status=rng.choice(_OPEN_STATUSES), LeadSource=rng.choice(LEAD_SOURCES), Industry=company.industry,
        IsConverted=False,
    )
    if email:
        truth.email_to_record[email.lower()] = lead["Id"]
    if phone:
        truth.phone_to_lead[phone.e164] = lead["Id"]
        crm.phones[lead["Id"]] = phone
    return lead
