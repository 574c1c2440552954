"""`GET /api/v1/contracts/{id}`: what a pipeline needs to decide whether to build on a
contract's data (a circuit breaker), as one JSON object.

`state` is the last check's verdict ("unknown" before the first); `deadline` the current
period's (deadline SLA) or when the newest data goes stale (age SLA); `eta` stays null until
demarc predicts arrivals; `ok_to_build` is true only when the data is on time (or recovered)
with no alert and no incident open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, ContractStatus, Incident, OpenIncident
from bot.outbox.enqueue import utc
from ownership.model import Contract, Registry
from ownership.oncall import on_call
from ownership.sla import FreshnessState, evaluate_age, evaluate_deadline

GOOD_STATES = frozenset({FreshnessState.ON_TIME.value, FreshnessState.RECOVERED.value})


def _iso(at: datetime | None) -> str | None:
    return None if at is None else utc(at).isoformat().replace("+00:00", "Z")


def deadline_of(contract: Contract, last_update: datetime | None, now: datetime) -> datetime | None:
    if contract.sla is not None:
        period = evaluate_deadline(contract.sla, last_update, now).period
        return period.deadline if period else None
    if contract.freshness is not None and last_update is not None:
        limit = evaluate_age(contract.freshness, last_update, now).limit
        return last_update + limit if limit else None
    return None


def contract_status(
    engine: Engine, registry: Registry, contract_id: str, now: datetime
) -> dict[str, Any] | None:
    """The status document, or None when the registry has no such contract."""
    contract = registry.contracts.get(contract_id)
    if contract is None:
        return None
    with Session(engine) as session:
        status = session.get(ContractStatus, contract.id)
        alert = session.scalars(
            select(Alert)
            .where(Alert.contract_id == contract.id, Alert.status == "open")
            .order_by(Alert.id.desc())
        ).first()
        guard = session.get(OpenIncident, contract.asset)
        incident = session.get(Incident, guard.incident_id) if guard else None
        last = status.last_update if status else None
        state = status.state if status else "unknown"
        return {
            "id": contract.id,
            "asset": contract.asset,
            "state": state,
            "ok_to_build": state in GOOD_STATES and alert is None and incident is None,
            "deadline": _iso(deadline_of(contract, last, now)),
            "last_arrival": _iso(last),
            "checked_at": _iso(status.checked_at if status else None),
            "next_check_at": _iso(status.next_check_at if status else None),
            "eta": None,
            "alert": _alert(alert),
            "incident": _incident(incident),
            "owner": _owner(registry, contract, now),
        }


def _alert(alert: Alert | None) -> dict[str, Any] | None:
    if alert is None:
        return None
    return {
        "id": alert.id,
        "kind": alert.kind,
        "opened_at": _iso(alert.opened_at),
        "late_by_seconds": alert.late_by_seconds,
        "channel": alert.channel,
    }


def _incident(incident: Incident | None) -> dict[str, Any] | None:
    if incident is None:
        return None
    return {
        "id": incident.id,
        "severity": incident.severity,
        "status": incident.status,
        "summary": incident.summary,
        "channel": incident.channel,
        "opened_at": _iso(incident.opened_at),
    }


def _owner(registry: Registry, contract: Contract, now: datetime) -> dict[str, Any]:
    team = registry.teams.get(contract.owner_team)
    person = on_call(team, now) if team else None
    return {
        "team": contract.owner_team,
        "name": team.name if team else None,
        "oncall_channel": team.oncall_channel if team else None,
        "on_call": None
        if person is None
        else {"name": person.name, "slack_id": person.slack_id, "email": person.email},
    }
