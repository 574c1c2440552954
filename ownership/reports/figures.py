"""Per contract and per team figures over one window (definitions: docs/reports.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ownership.reports.clocks import (
    Clock,
    alert_mtta,
    alert_mttr,
    incident_mtta,
    incident_mttr,
    minutes_between,
)
from ownership.reports.inputs import AlertSpan, ContractInfo, DayRollup, IncidentSpan
from ownership.reports.reasons import Reason
from ownership.reports.requests import RequestFigures
from ownership.reports.windows import Window, weeks


@dataclass(frozen=True, slots=True)
class Periods:
    """Expected periods, how many kept the deadline, how many broke it, downtime minutes."""

    expected: int = 0
    on_time: int = 0
    late: int = 0
    downtime_minutes: int = 0
    worst_downtime_minutes: int = 0

    @property
    def on_time_pct(self) -> float | None:
        return None if self.expected == 0 else 100.0 * self.on_time / self.expected

    def __add__(self, other: Periods) -> Periods:
        return Periods(
            self.expected + other.expected,
            self.on_time + other.on_time,
            self.late + other.late,
            self.downtime_minutes + other.downtime_minutes,
            max(self.worst_downtime_minutes, other.worst_downtime_minutes),
        )


@dataclass(frozen=True, slots=True)
class ContractFigures:
    contract_id: str
    owner_team: str
    consumer_teams: tuple[str, ...]
    periods: Periods
    alerts: int
    silenced: int
    resolved_with_reason: int
    false_alarm_share: float | None
    sla_too_tight_share: float | None


@dataclass(frozen=True, slots=True)
class TeamFigures:
    team: str
    owned: Periods
    consumed: Periods
    alert_mtta: Clock
    alert_mttr: Clock
    incident_mtta: Clock
    incident_mttr: Clock
    open_incidents: int


@dataclass(frozen=True, slots=True)
class Report:
    window: Window
    contracts: tuple[ContractFigures, ...]
    teams: tuple[TeamFigures, ...]
    now: datetime
    weeks: tuple[tuple[Window, tuple[tuple[str, float | None], ...]], ...] = field(default=())
    requests: tuple[RequestFigures, ...] = ()  # data requests made in the window (issue 17)


def worst_downtime(alerts: Iterable[AlertSpan], now: datetime) -> int:
    """The longest deadline → arrival of late alerts, in whole minutes; open ones run to now."""
    worst = 0.0
    for alert in alerts:
        if alert.kind != "late" or alert.deadline is None:
            continue
        arrival = alert.recovered_at or now
        worst = max(worst, minutes_between(alert.deadline, arrival))
    return round(worst)


def contract_periods(rollups: Iterable[DayRollup], window: Window) -> Periods:
    days = [r for r in rollups if window.since <= r.day < window.until]
    return Periods(
        sum(r.expected for r in days),
        sum(r.on_time for r in days),
        sum(r.late for r in days),
        sum(r.downtime_minutes for r in days),
    )


def _share(reasons: Sequence[str | None], which: Reason) -> float | None:
    given = [r for r in reasons if r]
    return None if not given else sum(1 for r in given if r == which.value) / len(given)


def build_report(
    window: Window,
    contracts: Sequence[ContractInfo],
    rollups: Iterable[DayRollup],
    alerts: Iterable[AlertSpan],
    incidents: Iterable[IncidentSpan],
    now: datetime,
    team: str | None = None,
) -> Report:
    """The window's figures; alerts and incidents count in the window they were opened in."""
    by_contract: dict[str, list[DayRollup]] = {}
    for row in rollups:
        by_contract.setdefault(row.contract_id, []).append(row)
    alerts_of: dict[str, list[AlertSpan]] = {}
    for alert in alerts:
        if window.holds(alert.opened_at):
            alerts_of.setdefault(alert.contract_id, []).append(alert)
    incidents_of: dict[str, list[IncidentSpan]] = {}
    for incident in incidents:
        if window.holds(incident.opened_at) or incident.resolved_at is None:
            incidents_of.setdefault(incident.asset, []).append(incident)
    figures = [
        _contract(
            c,
            window,
            by_contract.get(c.id, ()),
            alerts_of.get(c.id, []),
            [i for i in incidents_of.get(c.asset, []) if window.holds(i.opened_at)],
            now,
        )
        for c in contracts
    ]
    teams = sorted(
        {c.owner_team for c in contracts} | {t for c in contracts for t in c.consumer_teams}
    )
    team_figures = [
        _team(name, contracts, figures, alerts_of, incidents_of, window) for name in teams
    ]
    if team is not None:
        figures = [f for f in figures if team in (f.owner_team, *f.consumer_teams)]
        team_figures = [t for t in team_figures if t.team == team]
    shown = {f.contract_id for f in figures}
    weekly = tuple(
        (
            week,
            tuple(
                (c.id, contract_periods(by_contract.get(c.id, ()), week).on_time_pct)
                for c in contracts
                if c.id in shown
            ),
        )
        for week in weeks(window)
    )
    return Report(window, tuple(figures), tuple(team_figures), now, weekly)


def _contract(
    info: ContractInfo,
    window: Window,
    rollups: Iterable[DayRollup],
    alerts: list[AlertSpan],
    incidents: list[IncidentSpan],
    now: datetime,
) -> ContractFigures:
    periods = contract_periods(rollups, window)
    periods = Periods(
        periods.expected,
        periods.on_time,
        periods.late,
        periods.downtime_minutes,
        worst_downtime(alerts, now),
    )
    reasons = [i.reason for i in incidents]  # an alert's answer is its incident's
    return ContractFigures(
        info.id,
        info.owner_team,
        info.consumer_teams,
        periods,
        alerts=len(alerts),
        silenced=sum(1 for a in alerts if a.status == "silenced"),
        resolved_with_reason=sum(1 for r in reasons if r),
        false_alarm_share=_share(reasons, Reason.FALSE_ALARM),
        sla_too_tight_share=_share(reasons, Reason.SLA_TOO_TIGHT),
    )


def _team(
    name: str,
    contracts: Sequence[ContractInfo],
    figures: Sequence[ContractFigures],
    alerts_of: dict[str, list[AlertSpan]],
    incidents_of: dict[str, list[IncidentSpan]],
    window: Window,
) -> TeamFigures:
    owned = [c for c in contracts if c.owner_team == name]
    own_alerts = [a for c in owned for a in alerts_of.get(c.id, [])]
    assets = {c.asset for c in owned}
    own_incidents = [i for asset in sorted(assets) for i in incidents_of.get(asset, [])]
    in_window = [i for i in own_incidents if window.holds(i.opened_at)]
    return TeamFigures(
        name,
        owned=sum((f.periods for f in figures if f.owner_team == name), Periods()),
        consumed=sum((f.periods for f in figures if name in f.consumer_teams), Periods()),
        alert_mtta=alert_mtta(own_alerts),
        alert_mttr=alert_mttr(own_alerts),
        incident_mtta=incident_mtta(in_window),
        incident_mttr=incident_mttr(in_window),
        open_incidents=sum(1 for i in own_incidents if i.resolved_at is None),
    )
