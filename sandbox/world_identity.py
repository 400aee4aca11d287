"""The identity mess real CRMs hold, made on purpose: contacts filed with a Gmail address, two contacts on one
switchboard number, websites typed with `www.` and paths, leads converted under an older address, and contacts
deleted in Salesforce. Each choice is recorded in `Crm.cases`; mail and calls then use them (world_cases)."""

from __future__ import annotations

import random
from typing import TypeVar

from sandbox.world_context import GenContext, moment
from sandbox.world_crm import Crm
from sandbox.world_people import slugify
from sandbox.world_phones import display
from sandbox.world_schema import SfRecord
from sandbox.world_truth import Truth

_T = TypeVar("_T")
PER_CASE = 12
"""Records per designed case at scale 1, so each case has at least ten instances to measure."""
_WEBSITE_PATHS = ("https://www.{d}/en-us/", "www.{d}/contact-us", "HTTPS://WWW.{D}/about", "http://www.{d}/index.html",
                  "https://www.{d}/?utm_source=crm&utm_medium=web", "www.{d}/en-gb")


def _taken(crm: Crm) -> set[str]:
    return {record_id for ids in crm.cases.values() for record_id in ids}


def _pick(rng: random.Random, pool: list[_T], k: int) -> list[_T]:
    return rng.sample(pool, k=min(k, len(pool)))


def mess_contacts(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    """After contacts: Gmail contacts, switchboard pairs and website variants."""
    rng = ctx.rng("identity")
    n = PER_CASE * ctx.scale
    gmail: list[str] = []
    for contact in _pick(rng, [c for c in crm.contacts if c["Email"]], n):
        local = slugify(contact["FirstName"]).replace("-", "") + slugify(contact["LastName"]).replace("-", "")
        address = ctx.unique_email(local, "gmail.com")
        truth.email_to_record.pop(contact["Email"].lower(), None)
        truth.email_to_record[address] = contact["Id"]
        contact["Email"] = address
        gmail.append(contact["Id"])
    crm.cases["dotted_gmail"] = gmail
    by_account: dict[str, list[SfRecord]] = {}
    for contact in crm.contacts:
        if contact["Id"] in crm.phones and contact["Id"] not in gmail:
            by_account.setdefault(contact["AccountId"], []).append(contact)
    pairs = [contacts[:2] for contacts in by_account.values() if len(contacts) >= 2]
    switchboard: list[str] = []
    for first, second in _pick(rng, pairs, n // 2 + 4):
        shared = crm.phones[first["Id"]]
        truth.phone_to_contact.pop(crm.phones[second["Id"]].e164, None)
        crm.phones[second["Id"]] = shared
        second["Phone"] = display(rng, shared)
        switchboard += [first["Id"], second["Id"]]
    crm.cases["switchboard"] = switchboard
    sites = _pick(rng, [a for a in crm.accounts if a["Website"]], n)
    for account in sites:
        domain = truth.account_domains[account["Id"]]
        account["Website"] = rng.choice(_WEBSITE_PATHS).format(d=domain, D=domain.upper())
    crm.cases["website_variant"] = [a["Id"] for a in sites]


def mess_leads(ctx: GenContext, crm: Crm, truth: Truth) -> None:
    """After leads: converted leads that kept an older address, and contacts deleted in Salesforce."""
    rng = ctx.rng("identity-leads")
    n = PER_CASE * ctx.scale
    contacts = {c["Id"]: c for c in crm.contacts}
    converted = [lead for lead in crm.leads if lead["IsConverted"] and lead["Email"]
                 and "@gmail.com" not in lead["Email"]]
    chosen = _pick(rng, converted, n)
    for lead in chosen:
        contact = contacts[lead["ConvertedContactId"]]
        domain = truth.account_domains[contact["AccountId"]]
        first, last = slugify(lead["FirstName"]).replace("-", ""), slugify(lead["LastName"]).replace("-", "")
        lead["Email"] = ctx.unique_email(rng.choice((f"{first[0]}.{last}", f"{last}.{first}", f"{first}{last}")),
                                         domain)
        truth.email_to_record[lead["Email"]] = lead["Id"]
    crm.cases["converted_lead"] = [lead["Id"] for lead in chosen]
    sources = {lead["ConvertedContactId"] for lead in crm.leads if lead["IsConverted"]}
    taken = _taken(crm) | sources
    pool = [c for c in crm.contacts if c["Email"] and c["Id"] in crm.phones and c["Id"] not in taken]
    deleted = _pick(rng, pool, n)
    for contact in deleted:
        contact["IsDeleted"] = True
        contact["SystemModstamp"] = moment(rng, contact["LastModifiedDate"], ctx.anchor)
    crm.cases["deleted_contact"] = [c["Id"] for c in deleted]
