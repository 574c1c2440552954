"""The heads-up before a deadline, in the owner's on-call channel: posted once per period when
the data has not arrived `warn_after` after its due time, never paging anyone; edited when the
period settles, to "late now" when the breach follows or "arrived" when the data comes.

A heads-up is an `alerts` row of kind `heads_up` (key `heads-up:<period>`) whose status is
`warned`, `late` or `arrived`, never `open`, so nothing that looks for open alerts sees it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.headsup import render_heads_up, render_heads_up_arrived, render_heads_up_late
from bot.db.models import Alert
from bot.freshness.roots import alert_channel
from bot.outbox import UPDATE, URGENT, enqueue
from ownership.foresight import heads_up_due
from ownership.model import Contract, Registry
from ownership.sla import Evaluation, FreshnessState

KIND = "heads_up"


def _key(period_key: str) -> str:
    return f"heads-up:{period_key}"[:64]


def _root(alert: Alert) -> str:
    return f"heads-up:{alert.id}"


def _find(session: Session, contract_id: str, period_key: str) -> Alert | None:
    return session.scalars(
        select(Alert).where(Alert.contract_id == contract_id, Alert.period_key == _key(period_key))
    ).first()


def follow(
    session: Session,
    registry: Registry,
    contract: Contract,
    evaluation: Evaluation,
    now: datetime,
) -> str | None:
    """Post, or settle, the heads-up this check calls for; what it did, if anything."""
    sla, period = contract.sla, evaluation.period
    if sla is None or sla.warn_after is None or period is None:
        return None
    if heads_up_due(sla, evaluation, now):
        if _find(session, contract.id, period.key) is not None:
            return None
        channel = alert_channel(registry, contract)
        if not channel:
            return None
        row = Alert(
            contract_id=contract.id, period_key=_key(period.key), kind=KIND, status="warned",
            channel=channel, opened_at=now, deadline=period.deadline,
            window_start=period.window_start, affected="",
        )  # fmt: skip
        session.add(row)
        session.flush()
        payload = render_heads_up(contract.id, period.expected, period.deadline, now)
        enqueue(session, method="chat.postMessage", channel=channel, now=now, payload=payload,
                root_key=_root(row), is_root=True)  # fmt: skip
        return "heads-up posted"
    warned = _find(session, contract.id, period.key)
    if warned is None or warned.status != "warned":
        return None
    row = warned
    if evaluation.state is FreshnessState.LATE:
        row.status = "late"
        payload = render_heads_up_late(contract.id, period.deadline, now)
    elif evaluation.state.is_fresh and evaluation.last_update is not None:
        row.status, row.recovered_at = "arrived", evaluation.last_update
        payload = render_heads_up_arrived(contract.id, evaluation.last_update, period.deadline, now)
    else:
        return None
    enqueue(session, method=UPDATE, channel=row.channel, now=now, payload=payload,
            root_key=_root(row), priority=URGENT)  # fmt: skip
    return None
