"""Section 1, today's accounts: how many accounts each rep has to act on (chart), then each rep's ranked list with
priority, budget likelihood, action and the reasons with their evidence (v_top_accounts, v_rep_call_list)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tools import report_charts as charts
from tools import report_format as fmt
from tools.report_page import Block, Chart, Section, Table, Tile, empty_block, items, num, text
from tools.report_queries import Results, Row, whole

KEY = "accounts"
TITLE = "Today's accounts"
NO_ACTION = "no action"
ACTIONS = ("call now", "send pricing", "re-engage", "nurture", NO_ACTION)
ACTION_COLOURS = {"call now": "#D55E00", "send pricing": "#E69F00", "re-engage": "#CC79A7", "nurture": "#0072B2",
                  NO_ACTION: charts.MUTED}
NOT_SCORED = "No rows in v_top_accounts: run account-scoring first (it scores every account each morning)."


def build(results: Results, today: dt.date) -> tuple[Section, Tile]:
    actions, calls = results["actions_by_rep"], results["call_list"]
    failed = actions.failed or calls.failed
    if failed or not actions.rows:
        why = failed or NOT_SCORED
        block = empty_block("actions-by-rep", "Accounts to act on, per rep", actions.source, why, wide=True)
        return (Section(KEY, TITLE, "", (block,)),
                Tile("Accounts to act on", fmt.MISSING, "not scored yet", KEY, "muted"))
    blocks = (overview_block(actions.rows), *rep_blocks(calls.rows, calls.source))
    return Section(KEY, TITLE, overview(actions.rows, calls.rows, today), blocks), tile(actions.rows)


def when(score_date: dt.date | None, today: dt.date) -> str:
    """`today (2026-12-02)`, `yesterday (…)`, `on 2026-11-28, 4 days ago`."""
    if score_date is None:
        return "on no date"
    days = (today - score_date).days
    if days == 0:
        return f"today ({fmt.day(score_date)})"
    if days == 1:
        return f"yesterday ({fmt.day(score_date)})"
    return f"on {fmt.day(score_date)}, {fmt.plural(days, 'day')} ago" if days > 0 else f"on {fmt.day(score_date)}"


def overview(actions: Sequence[Row], calls: Sequence[Row], today: dt.date) -> str:
    """`Scored today (2026-12-02): 23 of 40 accounts need action across 4 reps; top: Acme (Ana Ruiz, priority
    92.0, call now).`"""
    scored = sum(whole(r["accounts"]) for r in actions)
    acting = [r for r in actions if r["recommended_action"] != NO_ACTION]
    to_act = sum(whole(r["accounts"]) for r in acting)
    scored_on = f"Scored {when(max((r['score_date'] for r in actions), default=None), today)}"
    if not to_act:
        return f"{scored_on}: all {fmt.plural(scored, 'account')} are '{NO_ACTION}', nobody needs a call."
    reps = len({r["owner_name"] for r in acting})
    line = f"{scored_on}: {to_act:,} of {fmt.plural(scored, 'account')} need action across {fmt.plural(reps, 'rep')}"
    top = max(calls, key=lambda r: (r["priority_score"] or 0, r["account_id"]), default=None)
    if top is None:
        return line + "."
    return (f"{line}; top: {top['account_name']} ({top['owner_name']}, priority {fmt.score(top['priority_score'])}, "
            f"{top['recommended_action']}).")


def tile(actions: Sequence[Row]) -> Tile:
    scored = sum(whole(r["accounts"]) for r in actions)
    to_act = sum(whole(r["accounts"]) for r in actions if r["recommended_action"] != NO_ACTION)
    score_date = max((r["score_date"] for r in actions), default=None)
    return Tile("Accounts to act on", f"{to_act:,}", f"of {fmt.plural(scored, 'account')} scored {fmt.day(score_date)}",
                KEY, "info" if to_act else "neutral")


def by_action(actions: Sequence[Row]) -> str:
    """`By action: 5 call now, 3 send pricing, 13 nurture, 17 no action; Ana Ruiz has the most to act on (8).`"""
    totals = {a: sum(whole(r["accounts"]) for r in actions if r["recommended_action"] == a)
              for a in dict.fromkeys([*ACTIONS, *sorted(r["recommended_action"] for r in actions)])}
    line = "By action: " + ", ".join(f"{n:,} {a}" for a, n in totals.items() if n)
    acting: dict[str, int] = {}
    for row in actions:
        if row["recommended_action"] != NO_ACTION:
            acting[row["owner_name"]] = acting.get(row["owner_name"], 0) + whole(row["accounts"])
    if acting:
        busiest = min(acting, key=lambda name: (-acting[name], name))
        line += f"; {busiest} has the most to act on ({acting[busiest]:,})"
    return line + "."


def overview_block(actions: Sequence[Row]) -> Block:
    reps = sorted({r["owner_name"] for r in actions},
                  key=lambda name: (-sum(whole(r["accounts"]) for r in actions
                                         if r["owner_name"] == name and r["recommended_action"] != NO_ACTION), name))
    present = [a for a in ACTIONS if any(r["recommended_action"] == a for r in actions)]
    present += sorted({r["recommended_action"] for r in actions} - set(ACTIONS))
    counts = {(r["owner_name"], r["recommended_action"]): whole(r["accounts"]) for r in actions}
    series = {action: [float(counts.get((rep, action), 0)) for rep in reps] for action in present}
    svg = charts.hbars("actions-by-rep", "Accounts per rep by recommended action", reps, series,
                       lambda v: fmt.count(v), charts.colours(present, ACTION_COLOURS), width=12, integer=True)
    chart = Chart("actions-by-rep", svg, "Every scored account of the latest score date, by its owner and action.") \
        if svg else None
    return Block("actions-by-rep", "Accounts per rep by recommended action", by_action(actions), "v_top_accounts",
                 chart=chart,
                 wide=True, tone="info")


def rep_takeaway(rows: Sequence[Row]) -> str:
    """`Ana Ruiz has 6 accounts to act on; top: Acme (priority 92.0, call now). The first 5 are listed.`"""
    first = min(rows, key=lambda r: r["position"])
    total = whole(first["accounts_to_act_on"])
    line = (f"{first['owner_name']} has {fmt.plural(total, 'account')} to act on; top: {first['account_name']} "
            f"(priority {fmt.score(first['priority_score'])}, {first['recommended_action']}).")
    return line + (f" The first {len(rows)} are listed." if total > len(rows) else "")


def rep_table(rows: Sequence[Row]) -> Table:
    headers = ("#", "Account", "Priority", "Budget likelihood", "Engagement", "Action", "Last touch", "Reasons")
    body = tuple(
        (num(str(r["position"])), text(r["account_name"] or r["account_id"]), num(fmt.score(r["priority_score"])),
         num(fmt.percent(r["budget_likelihood"], 0)), num(fmt.score(r["engagement_score"])),
         text(r["recommended_action"]), text(fmt.day(r["last_interaction_date"])), items(list(r["reasons"] or [])))
        for r in sorted(rows, key=lambda r: r["position"]))
    return Table(headers, body)


def rep_blocks(calls: Sequence[Row], source: str) -> list[Block]:
    """One block per rep with something to do, the rep with the highest-priority account first."""
    reps: dict[str, list[Row]] = {}
    for row in calls:
        reps.setdefault(row["owner_name"], []).append(row)
    ordered = sorted(reps.items(), key=lambda item: (-max(r["priority_score"] or 0 for r in item[1]), item[0]))
    return [Block(f"rep-{number}", f"{name}'s call list", rep_takeaway(rows), source, table=rep_table(rows),
                  wide=True, tone="info")
            for number, (name, rows) in enumerate(ordered, start=1)]
