"""account-scoring's quality against the sandbox world's hidden buying intent, beside a naive baseline.

Truth. `world.truth.buying_intent`: every account's hidden intent in [0, 1], which drives (noisily) what its
people write and say, when they meet and how its opportunities move; `world.truth.in_market_accounts`: the
accounts the generator meant to be buying (the relevant set for precision). The scorer never reads either.

Scores. `priority_score` and `budget_likelihood` of one score date (the world's anchor day), and the baseline:
activity counts only — emails in and out, calls and meetings of the last 30 days, from the same run's
`account_features` — the way a CRM's "most active accounts" list ranks.

Metrics. Spearman rank correlation with the hidden intent over every scored account (ties take their mean rank);
precision@k: the share of in-market accounts among the k highest (ties broken by account id, as v_top_accounts
does).
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.world import World
from shared.warehouse import Warehouse

SCORES = ("priority_score", "budget_likelihood", "activity_baseline")


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(x: list[float], y: list[float]) -> float:
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    spread = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / spread if spread else 0.0


@dataclass(frozen=True)
class ScoreQuality:
    spearman: float
    precision_at_10: float
    precision_at_20: float


@dataclass(frozen=True)
class ScoringQuality:
    accounts: int
    in_market: int
    by_score: dict[str, ScoreQuality]

    def report(self) -> str:
        lines = [f"{self.accounts} accounts scored, {self.in_market} in market (chance precision "
                 f"{self.in_market / self.accounts:.2f})",
                 f"{'score':<18} {'Spearman':>8} {'P@10':>5} {'P@20':>5}"]
        for name, q in self.by_score.items():
            lines.append(f"{name:<18} {q.spearman:>8.3f} {q.precision_at_10:>5.2f} {q.precision_at_20:>5.2f}")
        return "\n".join(lines)


def measure(world: World, warehouse: Warehouse, run_id: str) -> ScoringQuality:
    """Quality of the recommendations `run_id` wrote (one score date)."""
    rows = warehouse.query(
        "select r.account_id, r.priority_score, r.budget_likelihood, "
        "f.emails_in_30 + f.emails_out_30 + f.calls_30 + f.meetings_30 as activity_baseline "
        "from account_recommendations as r join account_features as f "
        "on f.account_id = r.account_id and f.score_date = r.score_date where r._run_id = @run_id",
        {"run_id": run_id})
    intent = world.truth.buying_intent
    in_market = world.truth.in_market_accounts
    truth = [intent[r["account_id"]] for r in rows]
    by_score = {}
    for name in SCORES:
        values = [float(r[name]) for r in rows]
        ranked = sorted(rows, key=lambda r: (-float(r[name]), r["account_id"]))
        by_score[name] = ScoreQuality(
            spearman(values, truth),
            sum(r["account_id"] in in_market for r in ranked[:10]) / min(10, len(ranked)),
            sum(r["account_id"] in in_market for r in ranked[:20]) / min(20, len(ranked)))
    return ScoringQuality(len(rows), sum(r["account_id"] in in_market for r in rows), by_score)
