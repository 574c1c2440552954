"""`demarc demo --history URL`: a month of made-up but consistent history for `demarc report`.

Per contract and day one expected period, late on a fixed pattern (so every run writes the
same month), with its rollup row and alert; some late days became incidents, resolved with a
reason; the month's last late one is still open.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from bot.db.models import (
    Alert,
    CheckRollup,
    Incident,
    IncidentAlert,
    IncidentEvent,
    OpenIncident,
)
from ownership.model import Registry
from ownership.reports.reasons import Reason
from ownership.reports.windows import Window

DEMO_CHANNEL = "#demo"
REASONS = (Reason.FIXED_UPSTREAM, Reason.FALSE_ALARM, Reason.SLA_TOO_TIGHT, Reason.FIXED_HERE)


def _late(contract_id: str, day_number: int) -> int:
    """Minutes late that day (0: on time): about one day in five, the same every run."""
    mix = zlib.crc32(f"{contract_id}:{day_number}".encode())
    return 0 if mix % 5 else 20 + mix % 160


def seed_history(engine: Engine, registry: Registry, month: Window) -> int:
    """Write the month (replacing what a previous seed wrote); how many late periods."""
    late_total = 0
    with Session(engine) as session, session.begin():
        session.execute(
            delete(CheckRollup).where(CheckRollup.day >= month.since, CheckRollup.day < month.until)
        )
        _forget_demo(session)
        incidents = 0
        for contract in sorted(registry.contracts.values(), key=lambda c: c.id):
            day = month.since
            while day < month.until:
                minutes = _late(contract.id, day.toordinal())
                session.add(CheckRollup(
                    contract_id=contract.id, day=day, expected_periods=1,
                    on_time_periods=0 if minutes else 1, late_periods=1 if minutes else 0,
                    downtime_minutes=minutes, checks=288, failures=0,
                ))
                if minutes:
                    late_total += 1
                    deadline = datetime.combine(day, time(6), tzinfo=UTC)
                    alert = Alert(
                        contract_id=contract.id, period_key=day.isoformat(), kind="late",
                        status="recovered", channel=DEMO_CHANNEL, opened_at=deadline + timedelta(
                            minutes=5), deadline=deadline,
                        recovered_at=deadline + timedelta(minutes=minutes),
                    )
                    session.add(alert)
                    if minutes > 90:  # the long ones became incidents
                        session.flush()
                        session.add(_incident(session, contract.asset, alert, incidents, minutes))
                        incidents += 1
                day += timedelta(days=1)
    return late_total


def _incident(
    session: Session, asset: str, alert: Alert, number: int, minutes: int
) -> IncidentAlert:
    opened = alert.opened_at + timedelta(minutes=10)
    still_open = number == 0
    row = Incident(
        asset=asset, summary=f"{asset} late by {minutes} min", severity="sev2",
        opened_severity="sev2", status="open" if still_open else "resolved", channel=DEMO_CHANNEL,
        plan="{}", opened_at=opened, acknowledged_at=opened + timedelta(minutes=4 + number % 20),
        resolved_at=None if still_open else opened + timedelta(minutes=minutes),
        resolution_reason=None if still_open else REASONS[number % len(REASONS)].value,
    )
    session.add(row)
    session.flush()
    if still_open:
        session.add(OpenIncident(asset=asset, incident_id=row.id))
    session.add(IncidentEvent(incident_id=row.id, at=opened, kind="opened", actor=None,
                              detail="opened from the late-data alert"))
    return IncidentAlert(incident_id=row.id, alert_id=alert.id, linked_at=opened)


def _forget_demo(session: Session) -> None:
    """What an earlier seed wrote (its channel is `#demo`), so a second run does not add up."""
    ids = select(Incident.id).where(Incident.channel == DEMO_CHANNEL)
    session.execute(delete(IncidentAlert).where(IncidentAlert.incident_id.in_(ids)))
    session.execute(delete(OpenIncident).where(OpenIncident.incident_id.in_(ids)))
    session.execute(delete(IncidentEvent).where(IncidentEvent.incident_id.in_(ids)))
    session.execute(delete(Incident).where(Incident.channel == DEMO_CHANNEL))
    session.execute(delete(Alert).where(Alert.channel == DEMO_CHANNEL))
