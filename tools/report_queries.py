"""The report's reads: one SELECT file under `sql/report/` per chart or table, run on the warehouse as they are.

A query that fails (a view missing from an older schema, a permission) does not stop the report: its result
carries the error in one line and the block that needed it says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.warehouse import Warehouse
from tools.sql import one_line

QUERIES: Mapping[str, str] = {
    "call_list": "v_rep_call_list",
    "actions_by_rep": "v_top_accounts",
    "monthly_cost": "v_monthly_finance",
    "month_projection": "v_month_end_projection",
    "cost_by_team": "v_cost_allocation",
    "attribution_coverage": "v_attribution_coverage",
    "cost_alerts": "v_cost_alerts",
    "etl_status": "v_etl_status",
    "pipeline_health": "v_pipeline_health",
    "data_freshness": "v_data_freshness",
    "match_rates": "v_match_rates",
    "embedding_coverage": "gmail_messages, dialpad_calls",
}
"""Query name (sql/report/<name>.sql) → what it reads, as the page cites it."""

Row = dict[str, Any]


@dataclass(frozen=True)
class Result:
    name: str
    source: str
    rows: list[Row] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> str | None:
        """Why there is nothing to show because of the query itself (None when it ran)."""
        return f"Could not read {self.source}: {self.error}" if self.error else None


Results = Mapping[str, Result]


def run_all(warehouse: Warehouse) -> dict[str, Result]:
    return {name: run_one(warehouse, name, source) for name, source in QUERIES.items()}


def run_one(warehouse: Warehouse, name: str, source: str) -> Result:
    try:
        return Result(name, source, warehouse.query(f"report/{name}.sql"))
    except Exception as exc:  # reported on the page and by the command's exit status
        return Result(name, source, error=one_line(exc))


def problems(results: Results) -> list[str]:
    return [f"{r.name}: {r.error}" for r in results.values() if r.error]


def whole(value: Any) -> int:
    """A count column as an int (DuckDB's COUNTIF over no rows is NULL where BigQuery's is 0)."""
    return int(value or 0)
