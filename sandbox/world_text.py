"""Email subjects and bodies by intent, written from the rep's or the customer's side."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta

BUYING_INTENTS = ("budget", "pricing", "procurement")
SALES_INTENTS = (*BUYING_INTENTS, "timeline", "scheduling", "objection", "renewal", "checkin", "intro")
PRODUCTS = ("Northwind Insights", "Northwind Pipeline", "the analytics platform", "Northwind Forecasting")
COMPETITORS = ("Looker", "Tableau", "Sigma", "ThoughtSpot", "Domo", "an in-house build")

SUBJECTS: dict[str, tuple[str, ...]] = {
    "budget": ("Budget for {product}", "FY budget sign-off", "Re-scoping to fit budget",
               "Budget approval update"),
    "pricing": ("Pricing for {seats} seats", "Quote for {company}", "Revised proposal",
                "{product} pricing question"),
    "procurement": ("Security review questionnaire", "Vendor onboarding paperwork", "MSA and DPA redlines",
                    "Procurement next steps"),
    "timeline": ("Rollout timeline", "Go-live plan for {quarter}", "Project kickoff dates"),
    "scheduling": ("Meeting next week?", "Rescheduling {day}'s call", "Time for a demo", "Calendar invite"),
    "objection": ("Concerns about the migration", "Comparison with {competitor}", "Feedback from the team"),
    "renewal": ("Your renewal", "Renewal terms for next year", "Contract renewal - {company}"),
    "checkin": ("Checking in", "Quick question", "Following up", "Notes from our call"),
    "intro": ("Introduction: Northwind Analytics", "{company} + Northwind",
              "Thanks for stopping by our booth"),
}
_REP: dict[str, tuple[str, ...]] = {
    "budget": (
        "I wanted to check whether the budget for {product} has been approved for {quarter}.",
        "If it helps the budget conversation, we can phase the rollout and start with {seats} seats.",
        "Happy to put together a business case your CFO can take to the budget committee.",
        "Do you know when finance will sign off on the spend?",
    ),
    "pricing": (
        "Attached is the quote for {seats} seats at {amount} per year.",
        "We can offer a 12% discount if we sign before the end of {quarter}.",
        "The price includes onboarding, premium support and the data connectors you asked about.",
        "Let me know if you would prefer annual or quarterly billing.",
    ),
    "procurement": (
        "I have attached our SOC 2 Type II report and the completed security questionnaire.",
        "Our legal team has reviewed the MSA redlines and accepted most of them.",
        "Could you send over the vendor onboarding forms so we can get set up as a supplier?",
        "Let me know who in procurement should receive the final order form.",
    ),
    "timeline": (
        "Our onboarding team can start the week of {date} if the paperwork is done by then.",
        "A typical rollout for a team your size takes six to eight weeks.",
        "Would a go-live in {quarter} work with your internal deadlines?",
    ),
    "scheduling": (
        "Would {day} at 10am or 2pm your time work for a 30 minute call?",
        "I have sent over a calendar invite; feel free to forward it to anyone else who should join.",
        "Something came up on my side, could we move our call to {day}?",
    ),
    "objection": (
        "I understand the concern about switching from {competitor}; "
        "most of our customers migrated in under a month.",
        "We can run a two week proof of concept on your own data to show the difference.",
        "I am happy to connect you with a reference customer who made the same move.",
    ),
    "renewal": (
        "Your subscription renews on {date}, and I wanted to walk you through the options.",
        "Usage has grown about 40% this year, so it may be worth looking at the enterprise tier.",
        "We can hold current pricing if the renewal is signed before the end of the month.",
    ),
    "checkin": (
        "Just checking in to see how things are going with the team.",
        "I wanted to follow up on our last conversation and see if you had any questions.",
        "Here are my notes from the call, let me know if I missed anything.",
    ),
    "intro": (
        "Great meeting you last week. "
        "Northwind Analytics helps teams like yours get forecasts out of their CRM data.",
        "I noticed {company} is hiring data engineers, so I thought {product} might be relevant.",
        "Would you be open to a short call to see whether there is a fit?",
    ),
}
_CUSTOMER: dict[str, tuple[str, ...]] = {
    "budget": (
        "Good news: the budget for this project was approved by our CFO yesterday.",
        "We have budget allocated for {quarter}, but it needs final sign-off from finance.",
        "Our budget is tighter than expected this year, so we may need to start smaller.",
        "I am presenting the business case to the budget committee on {day}.",
    ),
    "pricing": (
        "Thanks for the quote. Can you send pricing for {seats} seats with a three year term?",
        "The price is a bit above what we planned, is there any flexibility?",
        "{competitor} came in lower on price, although your product is stronger.",
        "Could you break down the pricing between licences and services?",
    ),
    "procurement": (
        "Our security team needs your SOC 2 report and a completed vendor questionnaire.",
        "Procurement has started the vendor onboarding process; you should receive the forms this week.",
        "Legal is reviewing the MSA and will send redlines by {day}.",
        "We will need a purchase order number before we can sign.",
    ),
    "timeline": (
        "We would like to be live before the end of {quarter}.",
        "The earliest we could start is {date}, after our data migration is done.",
    ),
    "scheduling": (
        "{day} works for me, please send an invite.",
        "Sorry, I have a conflict then. Could we do later in the week?",
        "Adding my colleague who looks after our data platform.",
    ),
    "objection": (
        "We are happy with {competitor} for now, and switching would be a lot of work.",
        "My team is worried about the migration effort and retraining.",
        "I am not sure this is a priority for us this year.",
    ),
    "renewal": (
        "We plan to renew, but we need to reduce the number of seats.",
        "Can you send the renewal quote so I can get it approved?",
    ),
    "checkin": (
        "Things are going well, thanks for checking in.",
        "No questions for now, I will reach out if anything comes up.",
        "Thanks for the notes, that matches my understanding.",
    ),
    "intro": (
        "Thanks for reaching out. We are looking at options for reporting this year.",
        "Sure, happy to learn more. What does pricing usually look like?",
        "Not interested at the moment, but feel free to check back next quarter.",
    ),
}
NEWSLETTER_SENDERS = (
    ("The Data Brief", "news@databrief-weekly.com"), ("SaaS Insider", "hello@saasinsider.io"),
    ("Conference Team", "events@bigdata-summit.com"), ("LinkedIn", "messages-noreply@linkedin.com"),
    ("Expense Bot", "noreply@expenses-app.com"), ("Product Hunt Daily", "hello@digest.producthunt.com"),
)
_NEWSLETTER = (
    ("This week in data: {n} trends you should not miss",
     "Welcome to this week's issue. We look at warehouse costs, the rise of semantic layers and why "
     "forecasting is hard. Read the full story on our website.\n\nYou are receiving this email because you "
     "subscribed. Unsubscribe or manage your preferences here."),
    ("Early bird tickets end Friday",
     "Join {n},000 data leaders at the summit this autumn. Early bird pricing ends this Friday. Register now "
     "and save 30%.\n\nTo stop receiving these emails, click unsubscribe."),
    ("You have {n} new notifications",
     "You have new connection requests and {n} unread messages. View them in the app.\n\n"
     "This is an automated message; please do not reply."),
    ("Your expense report was approved",
     "Expense report #{n}4412 for $1{n}8.40 was approved and will be reimbursed in the next pay run."),
)


def subject(rng: random.Random, intent: str, slots: Mapping[str, str]) -> str:
    return rng.choice(SUBJECTS[intent]).format_map(slots)


def body(rng: random.Random, intent: str, from_rep: bool, slots: Mapping[str, str]) -> str:
    """Greeting, a few sentences on the intent (customers write less), sign-off with the sender's name."""
    pool = _REP[intent] if from_rep else _CUSTOMER[intent]
    count = min(len(pool), rng.randint(2, 4) if from_rep else rng.randint(1, 2))
    sentences = " ".join(rng.sample(pool, count)).format_map(slots)
    if rng.random() < 0.3:
        extra = _REP if from_rep else _CUSTOMER
        sentences += "\n\n" + rng.choice(extra["scheduling"]).format_map(slots)
    greeting = rng.choice(("Hi {to_first},", "Hello {to_first},", "{to_first},", "Hey {to_first},"))
    closing = rng.choice(("Thanks,", "Best,", "Best regards,", "Cheers,", "Kind regards,"))
    return f"{greeting.format_map(slots)}\n\n{sentences}\n\n{closing}\n{slots['from_first']}"


def newsletter(rng: random.Random) -> tuple[str, str]:
    title, text = rng.choice(_NEWSLETTER)
    number = str(rng.randint(2, 9))
    return title.replace("{n}", number), text.replace("{n}", number)


def quote_reply(previous_body: str, header: str) -> str:
    """The quoted tail a mail client appends to a reply."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in previous_body.splitlines())
    return f"\n\n{header}\n{quoted}"


def deal_slots(rng: random.Random, company: str, anchor: datetime) -> dict[str, str]:
    """The specifics a conversation about one deal mentions: seats, amount, quarter, dates, competitor."""
    seats = rng.choice((10, 25, 40, 50, 75, 100, 150, 250, 500))
    later = anchor + timedelta(days=rng.randint(7, 60))
    quarter = ((anchor.month - 1) // 3 + rng.randint(0, 1)) % 4 + 1
    return {
        "product": rng.choice(PRODUCTS), "seats": str(seats),
        "amount": f"${seats * rng.choice((240, 360, 480)):,}",
        "quarter": f"Q{quarter}", "day": rng.choice(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
        "date": f"{later:%B} {later.day}", "competitor": rng.choice(COMPETITORS), "company": company,
    }
