"""Call transcripts: spoken lines by intent, alternating between the rep and the other party."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    speaker: str
    text: str
    offset_s: float
    is_rep: bool
    kind: str = "transcript"
    """Dialpad line type: transcript, or moment for detected topics such as price_inquiry."""


_OPENERS = (
    ("Hi {other_first}, this is {rep_first} from Northwind Analytics, do you have a few minutes?",
     "Hey {rep_first}, yes, I have about fifteen minutes."),
    ("Hello, {rep_first} speaking.",
     "Hi {rep_first}, it's {other_first} from {company}, returning your call."),
    ("Good morning {other_first}, thanks for taking the call.", "Morning! Sure, go ahead."),
)
_CLOSERS = (
    ("Great, I will send a summary by email after this call.", "Sounds good, talk soon."),
    ("Thanks for your time today, I will follow up with next steps.", "Thank you, bye."),
)
_REP_SAYS: dict[str, tuple[str, ...]] = {
    "budget": ("Where are you with budget approval for this project?",
               "Is the budget already allocated, or does it still need sign-off from finance?",
               "We could phase it so the first year fits the budget you have."),
    "pricing": ("For {seats} seats the list price comes to about {amount} a year.",
                "If you can commit this quarter I can get you a better price.",
                "Would a three year term help with the pricing?"),
    "procurement": ("What does your procurement process look like from here?",
                    "I can send the security questionnaire answers and our SOC 2 report today.",
                    "Who needs to sign the order form on your side?"),
    "timeline": ("When would you ideally want to be live?", "Onboarding usually takes about six weeks."),
    "scheduling": ("Could we set up a demo with your team next week?", "Does {day} afternoon work?"),
    "objection": ("What would it take to move away from {competitor}?",
                  "We can run a proof of concept on your data, no commitment."),
    "renewal": ("Your renewal is coming up on {date}, how has the product been working for you?",
                "Usage has grown a lot, it might be worth looking at the enterprise plan."),
    "checkin": ("I just wanted to check in and see how things are going.",
                "Any questions since we last spoke?"),
    "intro": ("We help data teams forecast pipeline from CRM and email data.",
              "What are you using for reporting today?"),
}
_OTHER_SAYS: dict[str, tuple[str, ...]] = {
    "budget": ("The budget was approved last week, so we are ready to move.",
               "We have budget for {quarter} but the CFO still needs to approve the final amount.",
               "Honestly the budget is tight this year."),
    "pricing": ("What would the price be for {seats} seats?",
                "That is more than we expected, is there flexibility?",
                "{competitor} quoted us quite a bit less."),
    "procurement": ("Procurement will need your security documentation before we can sign.",
                    "Legal is reviewing the contract now, we should have redlines by {day}.",
                    "We need a purchase order issued first, that takes about two weeks."),
    "timeline": ("We would like to be up and running before the end of {quarter}.",
                 "We can't start until our migration finishes."),
    "scheduling": ("Next week is busy, but {day} could work.", "Send me an invite and I'll loop in my team."),
    "objection": ("We are pretty happy with {competitor} right now.",
                  "The migration effort worries my team."),
    "renewal": ("We plan to renew, though we may trim a few seats.", "It has been working well for us."),
    "checkin": ("Things are going fine, no questions right now.", "All good on our side, thanks."),
    "intro": ("We mostly use spreadsheets and a few dashboards.", "Sure, I'm curious, tell me more."),
    "wrong_number": ("Sorry, I think you have the wrong number.", "Who is this?"),
}
MOMENTS = {"pricing": "price_inquiry", "budget": "budget_discussion", "procurement": "next_steps"}


def transcript(rng: random.Random, intent: str, duration_s: float,
               slots: Mapping[str, str]) -> list[TranscriptLine]:
    """Lines spread over the call; the rep opens, the parties alternate, a closing pair ends it."""
    pairs = [rng.choice(_OPENERS)]
    topic_turns = max(2, min(int(duration_s // 40), 24))
    rep_pool, other_pool = _REP_SAYS.get(intent, _REP_SAYS["checkin"]), _OTHER_SAYS[intent]
    pairs += [(rng.choice(rep_pool), rng.choice(other_pool)) for _ in range(topic_turns // 2)]
    pairs.append(rng.choice(_CLOSERS))
    step = duration_s / (2 * len(pairs) + 1)
    lines: list[TranscriptLine] = []
    rep, other = slots["rep_name"], slots["other_name"]
    for index, (rep_text, other_text) in enumerate(pairs):
        start = step * 2 * index + rng.uniform(0, step / 3)
        answer = round(start + step, 1)
        lines.append(TranscriptLine(rep, rep_text.format_map(slots), round(start, 1), True))
        lines.append(TranscriptLine(other, other_text.format_map(slots), answer, False))
        if index == 1 and intent in MOMENTS:
            lines.append(TranscriptLine(rep, MOMENTS[intent], answer, True, "moment"))
    return lines
