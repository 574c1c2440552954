"""Deleting old history in bounded batches, never what is still needed.

Each call deletes at most `batch` rows, oldest first, in the caller's transaction (one per
batch, so no lock is held for long). Kept always: rows not yet folded into the metric totals
(above the mark, `bot.ops.totals`); the latest check of each contract (`demarc status` and the
history read it); checks of a contract from the period or the opening of an alert that is
still open or belongs to an unresolved incident; undelivered, failed and dead-letter outbox
rows (only sent and superseded ones go).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from bot.db.models import Alert, CheckResult, IncidentAlert, OpenIncident, OutboxMessage
from bot.db.rows import rowcount
from bot.ops.totals import OUTBOX_PRUNED, add_total
from bot.outbox.enqueue import SENT, SUPERSEDED

PRUNABLE_OUTBOX = (SENT, SUPERSEDED)


def prune_checks(session: Session, *, before: datetime, mark: int, batch: int) -> int:
    """Delete up to `batch` check rows older than `before`; how many went."""
    old = aliased(CheckResult)
    newer = aliased(CheckResult)
    unresolved = select(OpenIncident.incident_id)
    needed = exists().where(
        Alert.contract_id == old.contract_id,
        or_(
            Alert.status == "open",
            Alert.incident_id.in_(unresolved),
            Alert.id.in_(
                select(IncidentAlert.alert_id).where(IncidentAlert.incident_id.in_(unresolved))
            ),
        ),
        or_(old.period_key == Alert.period_key, old.checked_at >= Alert.opened_at),
    )
    ids = (
        select(old.id)
        .where(
            old.checked_at < before,
            old.id <= mark,
            exists().where(newer.contract_id == old.contract_id, newer.id > old.id),
            ~needed,
        )
        .order_by(old.checked_at)
        .limit(batch)
    )
    result = session.execute(
        delete(CheckResult)
        .where(CheckResult.id.in_(ids.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def prune_outbox(session: Session, *, before: datetime, mark: int, batch: int) -> int:
    """Delete up to `batch` sent or superseded outbox rows created before `before`; how many
    went (each counted in the pruned totals, so the outbox gauges stay right)."""
    gone = 0
    for status in PRUNABLE_OUTBOX:
        ids = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == status,
                OutboxMessage.created_at < before,
                OutboxMessage.id <= mark,
            )
            .order_by(OutboxMessage.created_at)
            .limit(batch - gone)
        )
        n = rowcount(
            session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.id.in_(ids.scalar_subquery()))
                .execution_options(synchronize_session=False)
            )
        )
        if n:
            add_total(session, OUTBOX_PRUNED, status, n)
        gone += n
        if gone >= batch:
            break
    return gone
