"""What a report is computed from: rows read by bot/reports, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class DayRollup:
    """One contract's UTC day from `check_rollups`."""

    contract_id: str
    day: date
    expected: int
    on_time: int
    late: int
    downtime_minutes: int


@dataclass(frozen=True, slots=True)
class AlertSpan:
    """A late-data alert: opened, maybe acknowledged (through its incident), recovered."""

    id: int
    contract_id: str
    kind: str  # late | check_failed
    status: str  # open | recovered | silenced
    opened_at: datetime
    deadline: datetime | None
    recovered_at: datetime | None
    acknowledged_at: datetime | None = None  # its incident's acknowledgement


@dataclass(frozen=True, slots=True)
class IncidentSpan:
    """An incident on an asset: opened, acknowledged, resolved (with a reason)."""

    id: int
    asset: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    reason: str | None = None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """The registry's side of a contract, as a report needs it."""

    id: str
    asset: str
    owner_team: str
    consumer_teams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestSpan:
    """A data request (issue 17): made by a consumer team, maybe accepted, maybe declined."""

    id: int
    consumer_team: str
    accountable_team: str
    opened_at: datetime
    accepted_at: datetime | None
    state: str  # open | countered | accepted | declined | merged
