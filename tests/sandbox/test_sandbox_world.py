"""The synthetic world: deterministic, sized by scale, internally consistent, matching its ground truth."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import phonenumbers
import pytest

from sandbox.world import World, build_world, default_anchor
from sandbox.world_ids import sf_checksum
from sandbox.world_models import Address
from sandbox.world_schema import SF_FIELDS, SF_PREFIXES
from sandbox.world_text import BUYING_INTENTS
from sandbox.world_truth import CASE_TYPES, Identity
from sandbox.world_usage import USAGE_DAYS

ANCHOR = datetime(2025, 6, 2, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
REGIONS = {"United States": "US", "USA": "US", "United Kingdom": "GB", "UK": "GB", "Australia": "AU",
           "Canada": "CA"}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=7, scale=1, anchor=ANCHOR)


def e164(number: str, region: str | None) -> str:
    return phonenumbers.format_number(phonenumbers.parse(number, region), phonenumbers.PhoneNumberFormat.E164)


def sf_records(world: World) -> list[tuple[str, dict]]:
    return [(name, record) for name in SF_FIELDS for record in world.records(name)]


def test_given_the_same_arguments_when_built_twice_then_the_worlds_are_identical(world: World) -> None:
    again = build_world(seed=7, scale=1, anchor=ANCHOR)

    assert again == world
    assert [e.body for e in again.emails] == [e.body for e in world.emails]


def test_generation_does_not_depend_on_the_interpreter_hash_seed() -> None:
    script = ("import hashlib; from datetime import UTC, datetime; from sandbox.world import build_world; "
              "w = build_world(seed=5, anchor=datetime(2025, 6, 2, tzinfo=UTC)); "
              "state = (w.emails, w.calls, w.key_mapping_sheet, sorted(w.truth.intent_accounts)); "
              "print(hashlib.sha256(repr(state).encode()).hexdigest())")
    digests = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop().strip()) == 64


def test_given_another_seed_when_built_then_the_world_differs(world: World) -> None:
    other = build_world(seed=8, scale=1, anchor=ANCHOR)

    assert [a["Name"] for a in other.accounts] != [a["Name"] for a in world.accounts]
    assert [e.body for e in other.emails[:50]] != [e.body for e in world.emails[:50]]


def test_default_anchor_is_today_midnight_utc_and_nothing_happens_after_it() -> None:
    anchor = default_anchor()
    fresh = build_world(seed=3)

    assert fresh.anchor == anchor and anchor.tzinfo is UTC and anchor.hour == anchor.minute == 0
    assert max(e.sent_at for e in fresh.emails) < anchor
    assert max(c.date_ended for c in fresh.calls) < anchor
    assert all(record["SystemModstamp"] <= anchor for _, record in sf_records(fresh))


def test_given_anchors_on_each_day_of_a_week_then_the_record_counts_and_the_calls_are_the_same() -> None:
    """Tests run on any day against today's world: the dates move with the anchor, the counts do not (a
    weekday-dependent draw in the calls' stream once changed how many calls were logged as Tasks, and every
    request count with it). Which calls are logged may differ: moving a weekend call to Friday reorders them."""
    def shape(anchor: datetime) -> str:
        w = build_world(seed=7, scale=1, anchor=anchor)
        calls = sorted((c.rep_sf_user_id, c.duration_s, c.record_id or "", bool(c.transcript)) for c in w.calls)
        return repr(([len(w.records(name)) for name in SF_FIELDS], len(w.emails), calls))

    shapes = {shape(ANCHOR + timedelta(days=d)) for d in range(7)}

    assert len(shapes) == 1


def test_scale_one_has_the_documented_sizes(world: World) -> None:
    sizes = {name: len(getattr(world, name)) for name in (
        "accounts", "contacts", "leads", "opportunities", "reps", "mailboxes", "calls", "engineers")}

    assert sizes == {"accounts": 40, "contacts": 160, "leads": 60, "opportunities": 60, "reps": 8,
                     "mailboxes": 4, "calls": 250, "engineers": 16}
    assert 600 <= sum(not e.private for e in world.emails) <= 620
    private = Counter((e.private, label) for e in world.emails if e.private for label in e.labels
                      if label in ("INBOX", "SENT") or e.private == "label")
    assert {why for why, _ in private} == {"internal", "label"}
    assert {label for why, label in private if why == "label"} >= {"CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CHAT",
                                                                   "SPAM", "TRASH"}


def test_sizes_grow_linearly_with_scale(world: World) -> None:
    triple = build_world(seed=7, scale=3, anchor=ANCHOR)

    for name in ("accounts", "contacts", "leads", "opportunities", "reps", "mailboxes", "calls", "engineers"):
        assert len(getattr(triple, name)) == 3 * len(getattr(world, name)), name
    for name in ("emails", "tasks", "events", "api_keys", "anthropic_usage", "cursor_daily"):
        assert 2.4 < len(getattr(triple, name)) / len(getattr(world, name)) < 3.6, name


def test_every_salesforce_record_has_its_full_field_set_and_valid_ids(world: World) -> None:
    for name, record in sf_records(world):
        assert tuple(record) == SF_FIELDS[name]
        assert record["Id"].startswith(SF_PREFIXES[name]) and len(record["Id"]) == 18
        assert record["Id"][15:] == sf_checksum(record["Id"][:15])
        deleted_by_design = record["Id"] in world.cases["deleted_contact"]
        assert record.get("IsDeleted", False) is deleted_by_design and ("IsDeleted" in record) == (
            name not in ("User", "Profile", "UserRole"))
        assert record["CreatedDate"].tzinfo is not None
        assert record["CreatedDate"] <= record["LastModifiedDate"] <= record["SystemModstamp"] <= ANCHOR
    ids = [record["Id"] for _, record in sf_records(world)]
    assert len(ids) == len(set(ids))


def test_references_between_records_point_at_existing_records(world: World) -> None:
    users = {u["Id"] for u in world.users}
    for _, record in sf_records(world):
        if record.get("OwnerId"):
            assert record["OwnerId"] in users
    references = ("AccountId", "WhoId", "WhatId", "ParentId", "ConvertedContactId", "ActivityId",
                  "RelatedToId")
    for field in references:
        for _, record in sf_records(world):
            if record.get(field):
                assert world.find_any(record[field]) is not None, (field, record["Id"])


def test_phone_numbers_parse_as_valid_in_their_country(world: World) -> None:
    accounts = {a["Id"]: a for a in world.accounts}
    typed = [(c["Phone"], REGIONS[accounts[c["AccountId"]]["BillingCountry"]])
             for c in world.contacts if c["Phone"]]
    typed += [(lead["Phone"], REGIONS[lead["Country"]]) for lead in world.leads if lead["Phone"]]
    typed += [(rep.phone, "US") for rep in world.reps]
    typed += [(call.external_number, "US") for call in world.calls]

    assert len(typed) > 400
    for number, region in typed:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number, region)), number
    for number in (*world.truth.phone_to_contact, *world.truth.phone_to_lead):
        assert e164(number, None) == number


def test_phone_truth_maps_each_number_back_to_the_record_that_holds_it(world: World) -> None:
    contacts = {c["Id"]: c for c in world.contacts}
    for number, contact_id in world.truth.phone_to_contact.items():
        typed = contacts[contact_id]["Phone"]
        region = REGIONS[contacts[contact_id]["MailingCountry"]]
        assert e164(typed, region) == number
    assert len(world.truth.phone_to_contact) > 0.8 * len(world.contacts)


def test_contact_emails_are_at_their_account_domain_in_varied_case(world: World) -> None:
    domains = world.truth.account_domains
    gmail = set(world.cases["dotted_gmail"])
    emails = [(c["Email"], c["AccountId"]) for c in world.contacts if c["Email"] and c["Id"] not in gmail]

    assert all(email.lower().endswith("@" + domains[account]) for email, account in emails)
    assert any(email != email.lower() for email, _ in emails)
    assert len(gmail) >= 10
    assert all(world.find("Contact", i)["Email"].endswith("@gmail.com") for i in gmail)  # type: ignore[index]


def test_email_truth_maps_addresses_to_the_contact_or_lead_that_has_them(world: World) -> None:
    records = {r["Id"]: r for r in (*world.contacts, *world.leads)}
    for address, record_id in world.truth.email_to_record.items():
        assert address == address.lower()
        assert records[record_id]["Email"].lower() == address
    converted = [lead for lead in world.leads if lead["IsConverted"] and lead["Email"]]
    older_address = set(world.cases["converted_lead"])
    assert converted and all(world.truth.record_for_email(lead["Email"]) == lead["ConvertedContactId"]
                             for lead in converted if lead["Id"] not in older_address)
    assert len(older_address) >= 10 and all(
        world.truth.record_for_email(lead["Email"]) == lead["Id"]
        and world.truth.address_identity[lead["Email"]].contact_id == lead["ConvertedContactId"]
        for lead in converted if lead["Id"] in older_address)
    assert not world.truth.unknown_addresses & set(world.truth.email_to_record)


def test_websites_vary_and_some_are_missing(world: World) -> None:
    sites = [a["Website"] for a in world.accounts]

    assert any(site is None for site in sites)
    assert {site.split("://")[0] for site in sites if site and "://" in site} >= {"https", "http"}
    assert any(site and "://" not in site for site in sites)


def test_mail_threads_chain_replies_and_share_message_ids_across_mailboxes(world: World) -> None:
    by_rfc822: dict[str, list] = {}
    for email in world.emails:
        by_rfc822.setdefault(email.rfc822_id, []).append(email)
        assert email.mailbox in world.mailboxes
        assert len(email.message_id) == 16 and int(email.message_id, 16)
    known = set(by_rfc822)
    for email in world.emails:
        assert set(email.references) <= known
        assert email.in_reply_to == (email.references[-1] if email.references else None)
    shared = [copies for copies in by_rfc822.values() if len(copies) > 1]
    assert shared and all(len({c.mailbox for c in copies}) == len(copies) for copies in shared)
    assert {"SENT", "INBOX", "UNREAD", "IMPORTANT"} <= {label for e in world.emails for label in e.labels}


def test_mail_includes_noise_strangers_and_display_names_with_commas(world: World) -> None:
    intents = {email.intent for email in world.emails}
    senders = [email.sender for email in world.emails]

    assert set(BUYING_INTENTS) | {"newsletter", "scheduling"} <= intents
    assert any("," in s.name and s.header().startswith('"') for s in senders)
    assert any(s.email.endswith("@gmail.com") for s in senders)
    assert world.truth.unknown_addresses and world.truth.noise_addresses and world.truth.personal_aliases
    assert Address("Doe, Jane", "jane@acme.com").header() == '"Doe, Jane" <jane@acme.com>'


def test_intent_accounts_are_those_whose_mail_or_calls_discuss_buying(world: World) -> None:
    from_mail = {e.account_id for e in world.emails if e.intent in BUYING_INTENTS and e.account_id}
    from_calls = {c.account_id for c in world.calls
                  if c.intent in BUYING_INTENTS and c.account_id and c.date_connected}

    intent = world.truth.buying_intent
    quiet = set(intent) - world.truth.intent_accounts

    assert world.truth.intent_accounts == from_mail | from_calls
    assert len(world.truth.intent_accounts & world.truth.in_market_accounts) >= 0.75 * len(
        world.truth.in_market_accounts)
    assert (sum(intent[a] for a in world.truth.intent_accounts) / len(world.truth.intent_accounts)
            > sum(intent[a] for a in quiet) / len(quiet) + 0.1)


def test_calls_have_consistent_timing_and_most_have_transcripts(world: World) -> None:
    with_transcript = [call for call in world.calls if call.transcript]

    assert 0.6 < len(with_transcript) / len(world.calls) < 0.8
    for call in world.calls:
        assert call.date_started <= (call.date_connected or call.date_started) <= call.date_ended
        assert call.direction in ("inbound", "outbound") and int(call.call_id) > 0
        assert world.truth.call_record[call.call_id] == call.record_id
    for call in with_transcript:
        assert call.was_recorded and call.transcript is not None
        offsets = [line.offset_s for line in call.transcript]
        assert offsets == sorted(offsets)


def test_find_touch_and_delete(world: World) -> None:
    scratch = build_world(seed=7, scale=1, anchor=ANCHOR)
    contact = scratch.contacts[5]
    later = ANCHOR + timedelta(hours=1)

    assert scratch.find("Contact", contact["Id"]) is contact
    assert scratch.find("Account", contact["Id"]) is None
    World.touch(contact, later)
    assert contact["SystemModstamp"] == contact["LastModifiedDate"] == later
    World.delete(contact, later + timedelta(minutes=1))
    assert contact["IsDeleted"] is True and contact["SystemModstamp"] == later + timedelta(minutes=1)


def test_api_keys_include_service_handed_over_and_inactive_keys(world: World) -> None:
    keys = world.api_keys
    handed = [k for k in keys if k.handover_date]

    assert all(k.id.startswith("apikey_01") and len(k.id) == len("apikey_") + 24 for k in keys)
    assert any(k.owner_email is None for k in keys)
    assert {k.status for k in keys} >= {"active", "inactive", "archived"}
    assert len(handed) == 1 and world.truth.key_handovers[handed[0].id][0] == handed[0].handover_date
    key, day = handed[0], handed[0].handover_date
    assert day is not None
    days_used = {row.day for row in world.anthropic_usage if row.api_key_id == key.id}
    assert key.owner_on(day - timedelta(days=1)) == key.previous_owner_email
    assert key.owner_on(day) == key.owner_email
    assert any(used < day for used in days_used) and any(used >= day for used in days_used)


def test_usage_covers_the_trailing_period_with_a_weekday_pattern(world: World) -> None:
    days = {row.day for row in world.anthropic_usage}
    weekday = [r.uncached_input_tokens for r in world.anthropic_usage if r.day.weekday() < 5]
    weekend = [r.uncached_input_tokens for r in world.anthropic_usage if r.day.weekday() >= 5]

    assert min(days) == ANCHOR.date() - timedelta(days=USAGE_DAYS)
    assert max(days) == ANCHOR.date() - timedelta(days=1)
    assert sum(weekday) / 5 > 2 * sum(weekend) / 2
    assert any(r.api_key_id is None for r in world.anthropic_usage)
    assert all(r.cost_usd() >= 0 for r in world.anthropic_usage)
    assert world.claude_code_usage and all(isinstance(d.day, date) for d in world.claude_code_usage)


def test_cursor_rows_have_the_api_fields_and_spend_is_per_member(world: World) -> None:
    row = world.cursor_daily[0]
    members = {m.email for m in world.cursor_members}

    assert {"date", "isActive", "totalLinesAdded", "acceptedLinesAdded", "totalTabsShown", "composerRequests",
            "usageBasedReqs", "mostUsedModel", "email", "userId"} <= set(row)
    assert {r["email"] for r in world.cursor_daily} <= members
    assert any(m.is_removed for m in world.cursor_members)
    assert sum(m.spend_cents for m in world.cursor_members) > 0


def test_key_mapping_sheet_has_a_header_and_the_known_bad_rows(world: World) -> None:
    sheet = world.key_mapping_sheet
    reasons = world.truth.sheet_bad_rows

    assert sheet[0] == ["api_key_name", "user_email", "description", "platform"]
    assert sorted(reasons.values()) == ["duplicate key name", "invalid email", "unknown key name"]
    names = [row[0] for row in sheet[1:]]
    key_names = {key.name for key in world.api_keys}
    for index, reason in reasons.items():
        if reason == "unknown key name":
            assert sheet[index][0] not in key_names
        elif reason == "duplicate key name":
            assert names.count(sheet[index][0]) == 2
        else:
            assert "@" not in sheet[index][1]


DESIGNED_CASES = ("case_variant", "plus_tag", "dotted_gmail", "personal_named", "personal_unnamed", "domain_alias",
                  "website_variant", "lookalike_domain", "converted_lead", "deleted_contact")


def mail_addresses(world: World) -> dict[str, list[tuple[Address, object]]]:
    seen: dict[str, list[tuple[Address, object]]] = {}
    for email in world.emails:
        for person in (email.sender, *email.to, *email.cc):
            seen.setdefault(person.email.strip().lower(), []).append((person, email))
    return seen


def test_every_external_address_in_mail_and_every_call_has_an_identity_with_a_case(world: World) -> None:
    external = {a for a in mail_addresses(world) if not a.endswith("@northwind-analytics.com")}

    assert external <= set(world.truth.address_identity)
    assert set(world.truth.call_identity) == {call.call_id for call in world.calls}
    address_cases = Counter(i.case for i in world.truth.address_identity.values())
    call_cases = Counter(i.case for i in world.truth.call_identity.values())
    assert all(address_cases[case] >= 10 for case in DESIGNED_CASES), address_cases
    assert all(call_cases[case] >= 10 for case in ("switchboard", "phone_format", "deleted_contact")), call_cases
    assert set(address_cases) | set(call_cases) <= set(CASE_TYPES)


def test_address_variants_are_of_the_contact_salesforce_holds(world: World) -> None:
    contacts = {c["Id"]: c for c in world.contacts}
    seen = mail_addresses(world)
    for address, identity in world.truth.address_identity.items():
        if identity.case not in ("case_variant", "plus_tag", "dotted_gmail"):
            continue
        held = contacts[identity.contact_id]["Email"].lower()
        local, domain = address.split("@")
        if identity.case == "case_variant":
            raw = {person.email for person, _ in seen[address]}
            assert address == held and any(r != r.strip() or r != r.lower() for r in raw)
        elif identity.case == "plus_tag":
            assert f"{local.split('+')[0]}@{domain}" == held and "+" in local
        else:
            assert "." in local and f"{local.replace('.', '')}@gmail.com" == held and address != held
        assert identity.account_id == contacts[identity.contact_id]["AccountId"]


def test_personal_addresses_write_with_a_colleague_from_their_account_on_copy(world: World) -> None:
    contacts = {c["Id"]: c for c in world.contacts}
    seen = mail_addresses(world)
    personal = {a: i for a, i in world.truth.address_identity.items() if i.case.startswith("personal_")}
    for address, identity in personal.items():
        contact = contacts[identity.contact_id]
        assert address.split("@")[1] in ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
        assert world.truth.personal_aliases[address] == contact["Id"] and not identity.in_salesforce
        if identity.case == "personal_alone":
            continue
        names = {person.name for person, _ in seen[address]}
        assert names == {""} if identity.case == "personal_unnamed" else names.pop().lower() == contact["Name"].lower()
        domain = world.truth.account_domains[contact["AccountId"]]
        assert all(any(cc.email.lower().endswith("@" + domain) for cc in email.cc)  # type: ignore[attr-defined]
                   for _, email in seen[address])


def test_domain_aliases_lookalikes_and_website_variants_have_the_right_account(world: World) -> None:
    accounts = {a["Id"]: a for a in world.accounts}
    for address, identity in world.truth.address_identity.items():
        domain = address.split("@")[1]
        if identity.case == "lookalike_domain":
            assert identity == Identity(None, None, None, "lookalike_domain", False)
            assert domain not in world.truth.domain_to_account
            assert any(d.split(".")[0] in domain for d in world.truth.domain_to_account)
        elif identity.case in ("domain_alias", "website_variant"):
            assert identity.contact_id is identity.lead_id is None and identity.in_salesforce
            assert world.truth.domain_to_account[domain] == identity.account_id
            assert address not in world.truth.email_to_record
    for account_id in world.cases["website_variant"]:
        website = accounts[account_id]["Website"].lower()
        assert "www." in website and "/" in website.split("://")[-1]


def test_switchboard_numbers_are_held_by_two_contacts_and_the_truth_names_the_caller(world: World) -> None:
    contacts = {c["Id"]: c for c in world.contacts}
    calls = {call.call_id: call for call in world.calls}
    shared = [(calls[i], identity) for i, identity in world.truth.call_identity.items() if identity.ambiguous]

    assert len(shared) >= 10 and all(identity.case == "switchboard" for _, identity in shared)
    for call, identity in shared:
        assert identity.contact_id == call.record_id and identity.contact_id in identity.candidates
        typed = {e164(contacts[c]["Phone"], REGIONS[contacts[c]["MailingCountry"]]) for c in identity.candidates}
        assert len(identity.candidates) >= 2 and typed == {e164(call.external_number, "US")}


def test_deleted_contacts_and_converted_leads_resolve_as_salesforce_now_says(world: World) -> None:
    leads = {lead["Id"]: lead for lead in world.leads}
    deleted = set(world.cases["deleted_contact"])

    assert len(deleted) >= 10 and all(world.find("Contact", i)["IsDeleted"] for i in deleted)  # type: ignore[index]
    for identity in (*world.truth.address_identity.values(), *world.truth.call_identity.values()):
        if identity.case == "deleted_contact":
            assert identity.contact_id is None and identity.account_id
        if identity.case == "converted_lead":
            lead = leads[identity.lead_id]
            assert lead["IsConverted"] and identity.contact_id == lead["ConvertedContactId"]
            assert identity.account_id == lead["ConvertedAccountId"]
    deleted_calls = [c for c in world.calls if c.record_id in deleted]
    assert deleted_calls and all(world.truth.call_identity[c.call_id].case == "deleted_contact" for c in deleted_calls)
