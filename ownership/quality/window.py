"""Which rows a quality check reads: the current period's, bounded by the contract's timestamp
column, so a sweep never scans the whole table.

A deadline SLA's period is the one being judged (`period_at`): rows updated since its window
opened. An age SLA's period is its limit back from now (a daily feed: the last day), keyed by
the UTC date. A contract without an SLA is checked on all its rows, keyed by the UTC date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ownership.model import Contract
from ownership.periods import period_at


@dataclass(frozen=True, slots=True)
class Window:
    key: str  # the period's key: one alert per contract, period and check
    start: datetime | None  # rows at or after this instant (None: every row)


def quality_window(contract: Contract, now: datetime) -> Window:
    if contract.sla is not None:
        period = period_at(contract.sla, now)
        return Window(period.key, period.window_start)
    age = contract.freshness
    limit = age.error_after or age.warn_after if age is not None else None
    if limit is not None:
        return Window(f"{now:%Y-%m-%d}", now - limit)
    return Window(f"{now:%Y-%m-%d}", None)
