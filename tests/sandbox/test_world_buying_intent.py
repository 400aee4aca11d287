"""The world's hidden buying intent per account: graded, deterministic, and visible (noisily) in what the
account's people write and say, how often they meet and how far their opportunities are; plus the negative
replies and out-of-office auto-replies a scorer must read or ignore."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest

from sandbox.gmail_render import internal_time, render
from sandbox.world import World, build_world
from sandbox.world_models import Email
from sandbox.world_text import BUYING_INTENTS, COMPETITORS

ANCHOR = datetime(2025, 6, 2, tzinfo=UTC)
MEASURED = ((11, 1), (7, 2))
NEGATIVE_PHRASES = ("not interested", "not a priority", "unsubscribe", "take me off your list",
                    *(f"chose {c}".lower() for c in COMPETITORS), *(f"go with {c}".lower() for c in COMPETITORS))


@pytest.fixture(scope="module", params=MEASURED, ids=lambda p: f"seed{p[0]}-scale{p[1]}")
def world(request: pytest.FixtureRequest) -> World:
    seed, scale = request.param
    return build_world(seed=seed, scale=scale, anchor=ANCHOR)


def quartiles(world: World) -> list[list[str]]:
    ranked = sorted(world.truth.buying_intent, key=lambda a: (world.truth.buying_intent[a], a))
    size = len(ranked) // 4
    return [ranked[q * size:(q + 1) * size] for q in range(4)]


def per_quartile(world: World, value: Callable[[str], float | None]) -> list[float]:
    """The mean of `value` over each intent quartile's accounts (accounts where it is None left out)."""
    means = []
    for accounts in quartiles(world):
        values = [v for v in map(value, accounts) if v is not None]
        means.append(round(sum(values) / len(values), 3))
    return means


def buying_thread_share(world: World) -> Callable[[str], float | None]:
    threads: dict[str, list[bool]] = {}
    for thread in world.email_threads:
        if thread.account_id and thread.kind != "newsletter":
            threads.setdefault(thread.account_id, []).append(thread.intent in BUYING_INTENTS)
    return lambda a: sum(threads[a]) / len(threads[a]) if a in threads else None


def buying_conversation_share(world: World) -> Callable[[str], float | None]:
    """Threads and calls with a contact or lead together."""
    talks: dict[str, list[bool]] = {}
    for thread in world.email_threads:
        if thread.account_id and thread.kind != "newsletter":
            talks.setdefault(thread.account_id, []).append(thread.intent in BUYING_INTENTS)
    for call in world.calls:
        if call.account_id and call.record_id:
            talks.setdefault(call.account_id, []).append(call.intent in BUYING_INTENTS)
    return lambda a: sum(talks[a]) / len(talks[a]) if a in talks else None


def meetings(world: World) -> Callable[[str], float | None]:
    count = Counter(event["AccountId"] for event in world.events)
    return lambda a: float(count[a])


def open_stage_probability(world: World) -> Callable[[str], float | None]:
    stages: dict[str, list[float]] = {}
    for opportunity in world.opportunities:
        if not opportunity["IsClosed"]:
            stages.setdefault(opportunity["AccountId"], []).append(opportunity["Probability"])
    return lambda a: sum(stages[a]) / len(stages[a]) if a in stages else None


def test_every_account_has_an_intent_in_zero_to_one_and_in_market_ones_are_above_all_others(world: World) -> None:
    intent = world.truth.buying_intent
    in_market = world.truth.in_market_accounts

    assert set(intent) == {a["Id"] for a in world.accounts}
    assert all(0.0 <= value <= 1.0 for value in intent.values())
    assert in_market and min(intent[a] for a in in_market) > max(v for a, v in intent.items() if a not in in_market)
    assert len({round(v, 2) for v in intent.values()}) > len(intent) // 2  # graded, not two values


def test_given_the_same_seed_the_intents_and_texts_are_the_same() -> None:
    first, again = (build_world(seed=11, scale=1, anchor=ANCHOR) for _ in range(2))
    other = build_world(seed=12, scale=1, anchor=ANCHOR)

    assert again.truth.buying_intent == first.truth.buying_intent
    assert [(e.subject, e.body) for e in again.emails] == [(e.subject, e.body) for e in first.emails]
    assert again.truth.negative_accounts == first.truth.negative_accounts
    assert again.truth.auto_reply_messages == first.truth.auto_reply_messages
    assert sorted(other.truth.buying_intent.values()) != sorted(first.truth.buying_intent.values())


@pytest.mark.parametrize("measure", [buying_thread_share, buying_conversation_share, meetings,
                                     open_stage_probability])
def test_activity_rises_across_intent_quartiles(world: World, measure: Callable) -> None:
    means = per_quartile(world, measure(world))
    print(f"\nseed {world.seed} scale {world.scale} {measure.__name__} by intent quartile: {means}")

    assert means == sorted(means) and means[0] < means[-1], means


def test_the_top_quartile_meets_about_pricing_and_closes_sooner_than_the_bottom_one(world: World) -> None:
    subjects: dict[str, list[bool]] = {}
    for event in world.events:
        subjects.setdefault(event["AccountId"], []).append(event["Subject"] in ("Pricing review",
                                                                                "Contract walkthrough"))
    days: dict[str, list[int]] = {}
    for opportunity in world.opportunities:
        if not opportunity["IsClosed"]:
            days.setdefault(opportunity["AccountId"], []).append((opportunity["CloseDate"] - ANCHOR.date()).days)
    pricing = per_quartile(world, lambda a: sum(subjects[a]) / len(subjects[a]) if a in subjects else None)
    to_close = per_quartile(world, lambda a: sum(days[a]) / len(days[a]) if a in days else None)
    print(f"\nseed {world.seed} scale {world.scale} pricing/contract meeting share {pricing}, days to close {to_close}")

    assert pricing[-1] > pricing[0] + 0.15
    assert to_close[-1] < to_close[0] - 15


def test_high_intent_buying_threads_are_more_recent_than_low_intent_ones(world: World) -> None:
    intent = world.truth.buying_intent
    ages: dict[bool, list[float]] = {True: [], False: []}
    for email in world.emails:
        if email.intent in BUYING_INTENTS and email.account_id and not email.references:
            ages[intent[email.account_id] > 0.8].append((world.anchor - email.sent_at).days)
    high, low = (sum(v) / len(v) for v in (ages[True], ages[False]))
    print(f"\nmean age in days of buying threads' first message: intent > 0.8 {high:.1f}, others {low:.1f}")

    assert high < low - 10


def own_words(email: Email) -> str:
    """The message's text without the quoted message it replies to."""
    return email.body.split("\n\nOn ")[0]


def assert_rendered(world: World, email: Email) -> None:
    rendered = render(world.seed, email, internal_time(world.seed, email))
    headers = {name: str(make_header(decode_header(value))) for name, value in rendered.headers}
    assert headers["Subject"] == email.subject and headers["Message-ID"] == email.rfc822_id
    assert own_words(email).split("\n")[-3] in rendered.truth.text


def test_a_few_low_intent_accounts_turn_the_rep_down_in_a_rendered_customer_message(world: World) -> None:
    low = {a for a, v in world.truth.buying_intent.items() if v < 0.15}
    refusals = [e for e in world.emails if e.intent == "objection" and e.account_id in world.truth.negative_accounts
                and any(phrase in own_words(e).lower() for phrase in NEGATIVE_PHRASES)]

    assert world.truth.negative_accounts and world.truth.negative_accounts <= low
    assert len(world.truth.negative_accounts) <= len(low) / 2
    assert {e.account_id for e in refusals} == world.truth.negative_accounts
    for email in refusals:
        assert not email.sender.email.endswith("@northwind-analytics.com") and email.record_id
        assert world.truth.address_identity[email.sender.email.strip().lower()].account_id == email.account_id
        assert_rendered(world, email)


def test_auto_replies_are_out_of_office_answers_from_customers_in_existing_threads(world: World) -> None:
    auto = [e for e in world.emails if e.message_id in world.truth.auto_reply_messages]
    by_rfc822 = {e.rfc822_id: e for e in world.emails}

    assert len(auto) >= world.scale * 3 and {e.message_id for e in auto} == world.truth.auto_reply_messages
    for email in auto:
        assert email.subject.startswith("Automatic reply: ")
        assert email.body.startswith("I am out of the office until ")
        assert not email.sender.email.endswith("@northwind-analytics.com") and email.labels[0] == "INBOX"
        replied = by_rfc822[email.in_reply_to]  # type: ignore[index]
        assert replied.sender.email == email.to[0].email and replied.thread_id == email.thread_id
        assert email.subject == f"Automatic reply: {replied.subject.removeprefix('Re: ')}"
        assert_rendered(world, email)
