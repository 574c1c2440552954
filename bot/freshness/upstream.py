"""The newest landing of an event-relative SLA's upstream contract, for its verdict."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import ContractStatus
from bot.probes import ProbeResult
from ownership.model import Contract


def upstream_landing(
    sessions: sessionmaker[Session],
    contract: Contract,
    results: dict[str, ProbeResult] | None,
) -> datetime | None:
    """This sweep's probe of the upstream if it ran, else its last recorded update."""
    if contract.after is None:
        return None
    fresh = (results or {}).get(contract.after.after)
    if fresh is not None and fresh.error is None and fresh.last_update is not None:
        return fresh.last_update
    with sessions() as session:
        status = session.get(ContractStatus, contract.after.after)
        return status.last_update if status is not None else None
