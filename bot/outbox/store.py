"""The outbox's database side: which rows are due, claiming them, recording outcomes.

Each function is one short transaction of its own (never the caller's). Claims of rows being
sent are timed by the database's clock (`bot.db.clock`).
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from bot.db.clock import db_now
from bot.db.leases import Fence
from bot.db.models import OutboxMessage, SlackRoot
from bot.db.rows import rowcount
from bot.outbox.enqueue import DEAD, FAILED, PENDING, SENDING, SENT, SUPERSEDED, UPDATE
from bot.outbox.stale import LEASE_EXPIRED
from bot.outbox.stale import release_stale as release_stale  # one round's steps, in one place

UNREADABLE = "payload is not a JSON object; set aside without sending"


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
    priority: int = 0
    failures: int = 0

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
    status: str = FAILED  # DEAD when the root is a dead letter


Plan = Send | Wait | Abandon


def _ahead(earlier: Any) -> ColumnElement[bool]:
    """`earlier` comes before the outer row in delivery order: (priority, id)."""
    return or_(
        earlier.priority < OutboxMessage.priority,
        and_(earlier.priority == OutboxMessage.priority, earlier.id < OutboxMessage.id),
    )


@functools.cache  # built once: building it (aliases) costs more than running it
def _blocked() -> ColumnElement[bool]:
    """Another row of the same channel is being sent, or comes first in (priority, id) order
    and is pending (maybe waiting for a retry): per channel, one at a time and in order.

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
        earlier.id != OutboxMessage.id,
        or_(
            earlier.status == SENDING,
            and_(earlier.status == PENDING, _ahead(earlier), ~waits_for_root),
        ),
    )


def candidates(engine: Engine, now: datetime, limit: int) -> list[Queued | int]:
    """Due pending rows in delivery order (priority, then id), at most one per channel besides
    those awaiting a root; the id alone of a row whose payload cannot be read."""
    with Session(engine) as session:
        rows = session.scalars(_due(), {"now": now, "limit": limit})
        return [_snapshot(row) for row in rows]


@functools.cache
def _due() -> Select[OutboxMessage]:
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= bindparam("now"),
            ~_blocked(),
        )
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(bindparam("limit", type_=Integer))
    )


def _snapshot(row: OutboxMessage) -> Queued | int:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        return row.id
    if not isinstance(payload, dict):
        return row.id
    return Queued(
        id=row.id,
        method=row.method,
        channel=row.channel,
        payload=payload,
        root_key=row.root_key,
        is_root=row.is_root,
        in_thread=row.in_thread,
        attempts=row.attempts,
        created_at=row.created_at,
        recovered=row.last_error == LEASE_EXPIRED,
        priority=row.priority,
        failures=row.failures or 0,
    )


def supersede(engine: Engine, message: Queued) -> int | None:
    """An edit with a later edit of the same message (pending, being sent or sent) is not
    sent - an older edit must never overwrite a newer one: mark it superseded and give a
    pending later one the more urgent priority of the two; the later one's id, or None."""
    if message.method != UPDATE or message.root_key is None:
        return None
    with Session(engine) as session, session.begin():
        later = session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.root_key == message.root_key,
                OutboxMessage.method == UPDATE,
                OutboxMessage.id > message.id,
                OutboxMessage.status.in_((PENDING, SENDING, SENT, SUPERSEDED)),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        if later is None:
            return None
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.status == PENDING)
            .values(status=SUPERSEDED, last_error=f"superseded by outbox message {later}")
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return None  # another worker claimed it meanwhile: let it be
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == later,
                OutboxMessage.status == PENDING,
                OutboxMessage.priority > message.priority,
            )
            .values(priority=message.priority)
            .execution_options(synchronize_session=False)
        )
        return int(later)


def plan(engine: Engine, message: Queued) -> Plan:
    """Where to send `message`, once its root (if it needs one) has been delivered."""
    if not message.dependent or message.root_key is None:
        return Send({**message.payload, "channel": message.channel})
    with Session(engine) as session:
        root = session.get(SlackRoot, message.root_key)
        if root is not None:
            where = "thread_ts" if message.in_thread else "ts"
            return Send({**message.payload, "channel": root.channel, where: root.ts})
        outcome = _root_outcome(session, message.root_key)
    if outcome is None:
        return Wait()
    if outcome == DEAD:
        if message.in_thread:
            note = f"root {message.root_key} undeliverable (dead letter); posted outside a thread"
            return Send({**message.payload, "channel": message.channel}, note)
        return Abandon(f"root {message.root_key} undeliverable (dead letter)", DEAD)
    if message.in_thread:
        note = f"root {message.root_key} failed; posted outside a thread"
        return Send({**message.payload, "channel": message.channel}, note)
    return Abandon(f"root {message.root_key} failed; nothing to update")


def _root_outcome(session: Session, root_key: str) -> str | None:
    """FAILED or DEAD when every root row of `root_key` ended so (DEAD if any is dead), else
    None: the root may still be delivered."""
    statuses = set(
        session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.root_key == root_key, OutboxMessage.is_root
            )
        )
    )
    if not statuses or not statuses <= {FAILED, DEAD}:
        return None
    return DEAD if DEAD in statuses else FAILED


class _LeaseLost(Exception):
    """Rolls a claim back: the fence says another worker holds the outbox lease now."""


def claim(
    engine: Engine, message_id: int, now: datetime, holder: str, fence: Fence | None = None
) -> str | None:
    """Mark the row `sending`, claimed by `holder` at the database's time; the claim's token,
    or None if another worker has it (or an earlier row of its channel came first).

    PostgreSQL: the row lock skips rows another transaction holds; both backends: the
    conditional UPDATE's row count decides. With a `fence`, the claim is made only if the
    lease is still ours, in the same transaction: made right before the Slack call, that is
    the confirmation `confirm` gives (one transaction fewer per message).
    """
    try:
        return _claim(engine, message_id, now, holder, fence)
    except _LeaseLost:
        return None


def _claim(
    engine: Engine, message_id: int, now: datetime, holder: str, fence: Fence | None
) -> str | None:
    due = (OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
    token = uuid.uuid4().hex
    with Session(engine) as session, session.begin():
        locked = session.scalar(
            select(OutboxMessage.id)
            .where(*due, OutboxMessage.next_attempt_at <= now)
            .with_for_update(skip_locked=True)
        )
        if locked is None:
            return None
        result = session.execute(
            update(OutboxMessage)
            .where(*due, ~_blocked())
            .values(
                status=SENDING,
                attempts=OutboxMessage.attempts + 1,
                claimed_by=holder,
                claimed_at=db_now(engine),
                claim_token=token,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return None
        if fence is not None and not fence.confirm(session):
            raise _LeaseLost  # rolls the claim back
        return token


def confirm(engine: Engine, message_id: int, token: str, fence: Fence | None) -> bool:
    """Right before the Slack call: is the row still ours (and our lease still current)?

    One transaction: the fence's conditional UPDATE (which extends the lease) and the row's
    (which renews the claim). False means another worker took over while we were away.
    """
    with Session(engine) as session, session.begin():
        if fence is not None and not fence.confirm(session):
            return False
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == SENDING,
                OutboxMessage.claim_token == token,
            )
            .values(claimed_at=db_now(engine))
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1


_UNCLAIMED = {"claimed_by": None, "claimed_at": None, "claim_token": None}


def mark_sent(
    engine: Engine, message: Queued, *, channel: str, ts: str, now: datetime, note: str | None
) -> None:
    """`sent`, and for a root its `slack_roots` row, in one transaction."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(status=SENT, sent_at=now, ts=ts, last_error=note, **_UNCLAIMED)
        )
        if message.is_root and message.root_key is not None:
            session.merge(SlackRoot(key=message.root_key, channel=channel, ts=ts))


def mark_retry(
    engine: Engine, message_id: int, token: str, *, at: datetime, error: str, counts: bool
) -> None:
    """Back to pending until `at`; `counts`: the failure counts toward the dead-letter cap."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
            .values(
                status=PENDING,
                next_attempt_at=at,
                last_error=error,
                failures=OutboxMessage.failures + (1 if counts else 0),
                **_UNCLAIMED,
            )
        )


def release(engine: Engine, message_id: int, token: str) -> None:
    """Give back a claim that was never acted on (no Slack call was made under it)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
            .values(status=PENDING, **_UNCLAIMED)
        )


def mark_failed(engine: Engine, message_id: int, *, error: str, was: str) -> bool:
    """`failed` if the row is still in status `was`; False if it was not."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == was)
            .values(status=FAILED, last_error=error, **_UNCLAIMED)
        )
        return rowcount(result) == 1


def depth(engine: Engine, now: datetime) -> tuple[int, timedelta | None]:
    """Undelivered rows (pending, or being sent) and the age of the oldest."""
    query = select(func.count(), func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status.in_((PENDING, SENDING))
    )
    with Session(engine) as session:
        count, oldest = session.execute(query).one()
    return int(count), (None if oldest is None else max(now - oldest, timedelta(0)))
