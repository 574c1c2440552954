"""The outbox's database side: which rows are due, claiming them, recording outcomes.

Each function is one short transaction of its own (never the caller's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.db.models import OutboxMessage, SlackRoot
from bot.outbox.enqueue import FAILED, PENDING, SENDING, SENT, UPDATE

LEASE_EXPIRED = "lease expired while sending (worker died?); sending again, maybe twice"


@dataclass(frozen=True)
class Queued:
    """A snapshot of a pending row, usable after its session is gone."""

    id: int
    method: str
    channel: str
    payload: dict[str, Any]
    root_key: str | None
    is_root: bool
    in_thread: bool
    attempts: int
    created_at: datetime | None = None
    recovered: bool = False  # released after a worker died mid-send: Slack may have it

    @property
    def dependent(self) -> bool:
        """Needs its root's ts: a reply in the thread, or an edit of the root."""
        return self.root_key is not None and (self.in_thread or self.method == UPDATE)


@dataclass(frozen=True)
class Send:
    arguments: dict[str, Any]  # for the Slack method: channel, thread_ts/ts, text, blocks
    note: str | None = None  # kept in last_error of a sent row (posted outside its thread)

    @property
    def channel(self) -> str:
        return str(self.arguments["channel"])


@dataclass(frozen=True)
class Wait:
    """The root is not delivered yet."""


@dataclass(frozen=True)
class Abandon:
    reason: str  # the root failed: there is nothing to edit


Plan = Send | Wait | Abandon


def _blocked() -> ColumnElement[bool]:
    """An earlier row of the same channel is being sent or waits for a retry (FIFO).

    Rows waiting for their root do not hold their channel.
    """
    earlier = aliased(OutboxMessage)
    waits_for_root = and_(
        earlier.root_key.is_not(None),
        or_(earlier.in_thread, earlier.method == UPDATE),
        ~exists().where(SlackRoot.key == earlier.root_key),
    )
    return exists().where(
        earlier.channel == OutboxMessage.channel,
        earlier.id < OutboxMessage.id,
        or_(earlier.status == SENDING, and_(earlier.status == PENDING, ~waits_for_root)),
    )


def release_stale(engine: Engine, now: datetime, lease: timedelta) -> int:
    """Rows claimed longer than `lease` ago go back to pending (see the package docstring)."""
    stuck = (OutboxMessage.status == SENDING, OutboxMessage.next_attempt_at <= now - lease)
    with Session(engine) as session, session.begin():
        ids = list(
            session.scalars(  # locked rows are another worker's business: no deadlock
                select(OutboxMessage.id).where(*stuck).with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return 0
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), *stuck)
            .values(status=PENDING, next_attempt_at=now, last_error=LEASE_EXPIRED)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def candidates(engine: Engine, now: datetime, limit: int) -> list[Queued]:
    """Due pending rows, in id order: at most one per channel besides those awaiting a root."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now, ~_blocked())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    with Session(engine) as session:
        return [_snapshot(row) for row in session.scalars(query)]


def _snapshot(row: OutboxMessage) -> Queued:
    return Queued(
        id=row.id,
        method=row.method,
        channel=row.channel,
        payload=dict(json.loads(row.payload)),
        root_key=row.root_key,
        is_root=row.is_root,
        in_thread=row.in_thread,
        attempts=row.attempts,
        created_at=row.created_at,
        recovered=row.last_error == LEASE_EXPIRED,
    )


def plan(engine: Engine, message: Queued) -> Plan:
    """Where to send `message`, once its root (if it needs one) has been delivered."""
    if not message.dependent or message.root_key is None:
        return Send({**message.payload, "channel": message.channel})
    with Session(engine) as session:
        root = session.get(SlackRoot, message.root_key)
        if root is not None:
            where = "thread_ts" if message.in_thread else "ts"
            return Send({**message.payload, "channel": root.channel, where: root.ts})
        if not _root_failed(session, message.root_key):
            return Wait()
    if message.in_thread:
        note = f"root {message.root_key} failed; posted outside a thread"
        return Send({**message.payload, "channel": message.channel}, note)
    return Abandon(f"root {message.root_key} failed; nothing to update")


def _root_failed(session: Session, root_key: str) -> bool:
    statuses = set(
        session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.root_key == root_key, OutboxMessage.is_root
            )
        )
    )
    return statuses == {FAILED}


def claim(engine: Engine, message_id: int, now: datetime) -> bool:
    """Mark the row `sending` (claim time in next_attempt_at); False if another worker has it.

    PostgreSQL: the row lock skips rows another transaction holds; both backends: the
    conditional UPDATE's row count decides.
    """
    due = (OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
    with Session(engine) as session, session.begin():
        locked = session.scalar(
            select(OutboxMessage.id)
            .where(*due, OutboxMessage.next_attempt_at <= now)
            .with_for_update(skip_locked=True)
        )
        if locked is None:
            return False
        result = session.execute(
            update(OutboxMessage)
            .where(*due, ~_blocked())
            .values(status=SENDING, next_attempt_at=now, attempts=OutboxMessage.attempts + 1)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]


def mark_sent(
    engine: Engine, message: Queued, *, channel: str, ts: str, now: datetime, note: str | None
) -> None:
    """`sent`, and for a root its `slack_roots` row, in one transaction."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(status=SENT, sent_at=now, ts=ts, last_error=note)
        )
        if message.is_root and message.root_key is not None:
            session.merge(SlackRoot(key=message.root_key, channel=channel, ts=ts))


def mark_retry(engine: Engine, message_id: int, *, at: datetime, error: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=PENDING, next_attempt_at=at, last_error=error)
        )


def mark_failed(engine: Engine, message_id: int, *, error: str, was: str) -> bool:
    """`failed` if the row is still in status `was`; False if it was not."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == was)
            .values(status=FAILED, last_error=error)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]


def depth(engine: Engine, now: datetime) -> tuple[int, timedelta | None]:
    """Undelivered rows (pending, or being sent) and the age of the oldest."""
    query = select(func.count(), func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status.in_((PENDING, SENDING))
    )
    with Session(engine) as session:
        count, oldest = session.execute(query).one()
    return int(count), (None if oldest is None else max(now - oldest, timedelta(0)))
