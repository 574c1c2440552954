"""Read a window's report inputs: `check_rollups` (never pruned check rows), alerts, incidents.

Each query is bounded by the window through an index (`check_rollups.day`, the alerts'
and incidents' opening time), plus incidents still open; no whole-table scan.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.db.models import (
    Alert,
    CheckRollup,
    DataRequest,
    DataRequestEvent,
    EtaRow,
    Incident,
    IncidentAlert,
)
from ownership.model import Registry
from ownership.reports.figures import Report, build_report
from ownership.reports.inputs import (
    AlertSpan,
    ContractInfo,
    DayRollup,
    IncidentSpan,
    RequestSpan,
)
from ownership.reports.requests import request_figures
from ownership.reports.windows import Window


def contract_infos(registry: Registry) -> tuple[ContractInfo, ...]:
    return tuple(
        ContractInfo(c.id, c.asset, c.owner_team, tuple(c.consumer_teams))
        for c in sorted(registry.contracts.values(), key=lambda c: c.id)
    )


def read_rollups(session: Session, window: Window) -> list[DayRollup]:
    rows = session.scalars(
        select(CheckRollup).where(CheckRollup.day >= window.since, CheckRollup.day < window.until)
    )
    return [
        DayRollup(
            r.contract_id, r.day, r.expected_periods, r.on_time_periods, r.late_periods,
            r.downtime_minutes,
        )
        for r in rows
    ]


def read_alerts(session: Session, window: Window) -> list[AlertSpan]:
    """Alerts opened in the window, acknowledged at the first of: an ETA given on the alert
    ("Ack with ETA"), or the acknowledgement of an incident linked to it."""
    acked = (
        select(IncidentAlert.alert_id, func.min(Incident.acknowledged_at).label("acked"))
        .join(Incident, Incident.id == IncidentAlert.incident_id)
        .group_by(IncidentAlert.alert_id)
        .subquery()
    )
    eta = (
        select(EtaRow.alert_id, func.min(EtaRow.given_at).label("given"))
        .group_by(EtaRow.alert_id)
        .subquery()
    )
    query = (
        select(Alert, acked.c.acked, eta.c.given)
        .outerjoin(acked, acked.c.alert_id == Alert.id)
        .outerjoin(eta, eta.c.alert_id == Alert.id)
        .where(Alert.opened_at >= window.start, Alert.opened_at < window.end)
        .order_by(Alert.id)
    )
    return [
        AlertSpan(
            a.id, a.contract_id, a.kind, a.status, a.opened_at, a.deadline, a.recovered_at,
            acknowledged_at=_first(incident_ack, eta_given),
        )
        for a, incident_ack, eta_given in session.execute(query)
    ]


def _first(*times: datetime | None) -> datetime | None:
    known = [t.astimezone(UTC) for t in times if t is not None]
    return min(known) if known else None


def read_incidents(session: Session, window: Window) -> list[IncidentSpan]:
    """Incidents opened in the window, and every one still open."""
    query = (
        select(Incident)
        .where(
            or_(
                (Incident.opened_at >= window.start) & (Incident.opened_at < window.end),
                Incident.resolved_at.is_(None),
            )
        )
        .order_by(Incident.id)
    )
    return [
        IncidentSpan(
            i.id, i.asset, i.opened_at, i.acknowledged_at, i.resolved_at,
            reason=i.resolution_reason, summary=i.summary,
        )
        for i in session.scalars(query)
    ]


def read_requests(session: Session, window: Window) -> list[RequestSpan]:
    """Data requests made in the window, with when each was first accepted."""
    accepted = (
        select(DataRequestEvent.request_id, func.min(DataRequestEvent.at).label("at"))
        .where(DataRequestEvent.kind == "accepted")
        .group_by(DataRequestEvent.request_id)
        .subquery()
    )
    query = (
        select(DataRequest, accepted.c.at)
        .outerjoin(accepted, accepted.c.request_id == DataRequest.id)
        .where(DataRequest.created_at >= window.start, DataRequest.created_at < window.end)
        .order_by(DataRequest.id)
    )
    return [
        RequestSpan(r.id, r.consumer_team, r.accountable_team, r.created_at, at, r.state)
        for r, at in session.execute(query)
    ]


def read_report(
    session: Session, registry: Registry, window: Window, now: datetime, team: str | None = None
) -> Report:
    """The window's report, from the database and the registry's contracts."""
    report = build_report(
        window,
        contract_infos(registry),
        read_rollups(session, window),
        read_alerts(session, window),
        read_incidents(session, window),
        now,
        team,
    )
    return replace(report, requests=request_figures(read_requests(session, window), team))
