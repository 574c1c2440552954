"""Dead letters: rows set aside so that one bad message cannot hold its channel for good.

A row becomes `dead` when it cannot be read, or when it failed `max_attempts` times while
Slack itself answered (see `OutboxWorker`): an outage of Slack delays messages, it never
dead-letters them. The row keeps its payload and its error; `demarc status` lists dead
letters, `/metrics` counts them (`demarc_outbox_dead_letters`), and the admin channel is told
once per dead letter, in the transaction that sets it aside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bot.blocks.escape import channel_ref, code
from bot.db.models import OutboxMessage
from bot.db.rows import rowcount
from bot.outbox.enqueue import DEAD, POST_MESSAGE, enqueue


@dataclass(frozen=True)
class DeadLetter:
    id: int
    method: str
    channel: str
    root_key: str | None
    attempts: int
    error: str
    created_at: datetime


def mark_dead(
    engine: Engine,
    message_id: int,
    *,
    error: str,
    was: tuple[str, ...],
    now: datetime,
    admin_channel: str | None,
    token: str | None = None,
) -> bool:
    """Set the row aside (if still in a status of `was`, and for SENDING still under our
    claim `token`) and tell the admin channel; False if the row had moved on."""
    with Session(engine) as session, session.begin():
        where = [OutboxMessage.id == message_id, OutboxMessage.status.in_(was)]
        if token is not None:
            where.append(OutboxMessage.claim_token == token)
        result = session.execute(
            update(OutboxMessage)
            .where(*where)
            .values(
                status=DEAD, last_error=error, claimed_by=None, claimed_at=None, claim_token=None
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            return False
        row = session.get(OutboxMessage, message_id)
        if admin_channel and row is not None and row.channel != admin_channel:
            enqueue(
                session,
                method=POST_MESSAGE,
                channel=admin_channel,
                payload={"text": render_dead_letter(row, error)},
                now=now,
            )
        return True


def render_dead_letter(row: OutboxMessage, error: str) -> str:
    """The admin notice: what was not delivered, where, why, and where to look."""
    where = channel_ref(row.channel)
    try:
        text = str(json.loads(row.payload).get("text", ""))
    except (ValueError, AttributeError):
        text = ""
    preview = f" ({code(text[:80])})" if text else ""
    return (
        f":warning: demarc could not deliver outbox message {row.id} to {where}{preview}: "
        f"{code(error)}. It is set aside as a dead letter; later messages to that channel are "
        "going out. Details: `demarc status`."
    )


def dead_letters(engine: Engine, limit: int = 50) -> list[DeadLetter]:
    """The most recent dead letters, newest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == DEAD)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return [
            DeadLetter(
                id=row.id,
                method=row.method,
                channel=row.channel,
                root_key=row.root_key,
                attempts=row.attempts,
                error=row.last_error or "",
                created_at=row.created_at,
            )
            for row in session.scalars(query)
        ]


def count_dead(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == DEAD)
        return int(session.scalar(query) or 0)
