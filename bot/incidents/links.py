"""Late-data alerts and incidents, linked both ways; what is broken upstream of an asset.

`alerts.incident_id` holds the first incident an alert was linked to (its root shows it);
`incident_alerts` holds every link, so an incident hears when any of its alerts recovers.
Imports nothing from `bot.freshness`, which calls `tell_incidents_data_recovered`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.alerts import when
from bot.blocks.escape import code, escape
from bot.db.models import Alert, Incident, IncidentAlert, OpenIncident
from bot.incidents.messages import reply
from bot.incidents.records import add_event
from bot.outbox.enqueue import utc
from ownership.incidents import Status
from ownership.lineage import walk
from ownership.model import Asset, Registry

ALERT_WORDS = {"late": "late", "check_failed": "check failing"}


def broken_upstream(
    session: Session, registry: Registry, asset: Asset
) -> tuple[dict[str, str], list[Alert]]:
    """Upstream assets that are late (open alert), unchecked or in an open incident right now,
    with a few words on why; and the open alerts on the asset and upstream, to link."""
    ups = [a for a, _ in walk(registry, asset.id, "up")]
    contracts = {c.id: c.asset for c in registry.contracts.values() if c.asset in {asset.id, *ups}}
    alerts = (
        list(
            session.scalars(
                select(Alert)
                .where(Alert.contract_id.in_(contracts), Alert.status == "open")
                .order_by(Alert.id)
            )
        )
        if contracts
        else []
    )
    broken: dict[str, str] = {}
    for alert in alerts:
        owner_asset = contracts[alert.contract_id]
        if owner_asset != asset.id:
            broken.setdefault(owner_asset, ALERT_WORDS.get(alert.kind, alert.kind))
    if ups:
        for row in session.scalars(select(OpenIncident).where(OpenIncident.asset.in_(ups))):
            broken.setdefault(row.asset, f"open incident #{row.incident_id}")
    return broken, alerts


def link_alert(session: Session, incident_id: int, alert: Alert, now: datetime) -> bool:
    """Link both ways; False when they were linked already."""
    if session.get(IncidentAlert, (incident_id, alert.id)) is not None:
        return False
    session.add(IncidentAlert(incident_id=incident_id, alert_id=alert.id, linked_at=utc(now)))
    if alert.incident_id is None:
        alert.incident_id = incident_id
    add_event(
        session,
        incident_id,
        "alert_linked",
        now,
        detail=f"late-data alert #{alert.id} for {alert.contract_id} ({alert.status})",
    )
    return True


def tell_incidents_data_recovered(
    session: Session, alert: Alert, arrived: datetime | None, words: str, now: datetime
) -> int:
    """Tell each unresolved incident linked to `alert` that its data arrived; how many."""
    rows = session.scalars(
        select(Incident)
        .join(IncidentAlert, IncidentAlert.incident_id == Incident.id)
        .where(IncidentAlert.alert_id == alert.id, Incident.status != Status.RESOLVED.value)
    )
    told = 0
    for incident in rows:
        at = when(arrived, now) if arrived else "an unknown time"
        detail = f"{alert.contract_id}: data arrived at {at}, {words}"
        add_event(session, incident.id, "data_recovered", now, detail=detail)
        reply(
            session,
            incident.id,
            incident.channel,
            f":large_green_circle: {code(alert.contract_id)} data arrived at {escape(at)} "
            f"({escape(words)}). If that was the cause, check the output and *Resolve*.",
            now,
        )
        told += 1
    return told
