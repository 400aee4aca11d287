"""Every scenario of the reliability suite, in the order of the table: crashes and duplicate deliveries, the time
budget, source faults, page anomalies, hostile source data, hostile requests."""

from __future__ import annotations

from tools.reliability import scenarios
from tools.reliability.budget import BUDGET_SCENARIOS
from tools.reliability.hostile_data import HOSTILE_DATA_SCENARIOS
from tools.reliability.hostile_requests import HOSTILE_REQUEST_SCENARIOS
from tools.reliability.page_faults import PAGE_FAULT_SCENARIOS
from tools.reliability.scenarios import Scenario
from tools.reliability.source_faults import SOURCE_FAULT_SCENARIOS

ALL: tuple[Scenario, ...] = (*scenarios.SCENARIOS, *BUDGET_SCENARIOS, *SOURCE_FAULT_SCENARIOS, *PAGE_FAULT_SCENARIOS,
                             *HOSTILE_DATA_SCENARIOS, *HOSTILE_REQUEST_SCENARIOS)


def by_name(names: list[str] | None) -> list[Scenario]:
    return scenarios.by_name(names, ALL)
