"""MTTA and MTTR: how the response clocks of alerts and incidents are read (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ownership.reports.inputs import AlertSpan, IncidentSpan


@dataclass(frozen=True, slots=True)
class Clock:
    """Stopped clocks' mean, in minutes; `running` clocks are counted, not averaged."""

    stopped: int = 0
    running: int = 0
    mean_minutes: float | None = None
    max_minutes: float | None = None
    never: int = 0  # over without the clock stopping (an alert recovered, nobody acknowledged)


def minutes_between(start: datetime, stop: datetime) -> float:
    """Real minutes: through UTC, so a DST day's repeated wall hour is counted once."""
    return (stop.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60


def clock(pairs: Iterable[tuple[datetime, datetime | None]]) -> Clock:
    """Read (start, stop) pairs: a None stop is a clock still running."""
    minutes: list[float] = []
    running = 0
    for start, stop in pairs:
        if stop is None:
            running += 1
        else:
            minutes.append(max(0.0, minutes_between(start, stop)))
    if not minutes:
        return Clock(running=running)
    return Clock(len(minutes), running, sum(minutes) / len(minutes), max(minutes))


def paged(alerts: Iterable[AlertSpan]) -> list[AlertSpan]:
    """Alerts that paged someone: silenced ones never did, so no response clock runs."""
    return [alert for alert in alerts if alert.status != "silenced"]


def alert_mtta(alerts: Iterable[AlertSpan]) -> Clock:
    """Acknowledged ones stop; open ones run; recovered before anyone acknowledged: `never`."""
    alerts = paged(alerts)
    never = [a for a in alerts if a.acknowledged_at is None and a.recovered_at is not None]
    read = clock((a.opened_at, a.acknowledged_at) for a in alerts if a not in never)
    return replace(read, never=len(never))


def alert_mttr(alerts: Iterable[AlertSpan]) -> Clock:
    return clock((a.opened_at, a.recovered_at) for a in paged(alerts))


def incident_mtta(incidents: Iterable[IncidentSpan]) -> Clock:
    return clock((i.opened_at, i.acknowledged_at or i.resolved_at) for i in incidents)


def incident_mttr(incidents: Iterable[IncidentSpan]) -> Clock:
    return clock((i.opened_at, i.resolved_at) for i in incidents)
