"""Rows stuck in `sending`: their worker died or stopped mid-send (see the package docstring).

Each round first gives such rows back to `pending`, marked so that the next send looks them up
in Slack before sending again (`bot.outbox.reconcile`).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from bot.db.clock import db_now
from bot.db.leases import HOLDER_DEAD_AFTER, holder_is_gone
from bot.db.models import OutboxMessage
from bot.db.rows import rowcount
from bot.outbox.enqueue import PENDING, SENDING

LEASE_EXPIRED = "lease expired while sending (worker died?); sending again, maybe twice"


def release_stale(
    engine: Engine, now: datetime, lease: timedelta, dead_after: timedelta = HOLDER_DEAD_AFTER
) -> int:
    """Rows claimed longer than `lease` ago (database clock), or by a replica whose heartbeat
    stopped, go back to pending (see the package docstring). Rows claimed before claims were
    timed by the database carry their claim time in next_attempt_at (`now`'s clock)."""
    with Session(engine) as session, session.begin():
        ids = list(session.scalars(_stuck_ids(engine, lease, dead_after), {"cutoff": now - lease}))
        if not ids:
            return 0
        stuck = _stuck(engine, lease, dead_after, now - lease)
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), *stuck)
            .values(
                status=PENDING,
                next_attempt_at=now,
                last_error=LEASE_EXPIRED,
                claimed_by=None,
                claimed_at=None,
                claim_token=None,
            )
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)


def _stuck(
    engine: Engine, lease: timedelta, dead_after: timedelta, cutoff: Any
) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == SENDING,
        or_(
            OutboxMessage.claimed_at <= db_now(engine, -lease),
            holder_is_gone(engine, OutboxMessage.claimed_by, dead_after),
            and_(OutboxMessage.claimed_at.is_(None), OutboxMessage.next_attempt_at <= cutoff),
        ),
    )


@functools.lru_cache(maxsize=16)  # every round asks: build the query once per engine
def _stuck_ids(engine: Engine, lease: timedelta, dead_after: timedelta) -> Select[int]:
    stuck = _stuck(engine, lease, dead_after, bindparam("cutoff"))
    # locked rows are another worker's business: no deadlock
    return select(OutboxMessage.id).where(*stuck).with_for_update(skip_locked=True)
