"""Several pending edits of one Slack message become one: only the newest content is sent.

Each round starts by marking every pending `chat.update` that has a later edit of the same
message (pending, being sent, sent, or superseded itself) `superseded`, in one transaction;
the row stays, with "superseded by outbox message N" in `last_error`, for the audit. The
newest pending edit first takes the most urgent priority among those it replaces, so a
recovery folded into a later routine edit keeps its place in the queue.
(`store.supersede` does the same for one row, for edits enqueued during a round.)
"""

from __future__ import annotations

import functools

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    String,
    Update,
    cast,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from bot.db.models import OutboxMessage
from bot.db.rows import rowcount
from bot.outbox.enqueue import PENDING, SENDING, SENT, SUPERSEDED, UPDATE

LATER = (PENDING, SENDING, SENT, SUPERSEDED)  # an edit in any of these replaces earlier ones


def _pending_edit() -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == PENDING,
        OutboxMessage.method == UPDATE,
        OutboxMessage.root_key.is_not(None),
    )


def _later_edit() -> ColumnElement[bool]:
    later = aliased(OutboxMessage)
    return exists().where(
        later.root_key == OutboxMessage.root_key,
        later.method == UPDATE,
        later.id > OutboxMessage.id,
        later.status.in_(LATER),
    )


def supersede_pending(engine: Engine) -> int:
    """Mark every pending edit with a later edit of its message superseded; how many."""
    stale, promote, supersede = _statements()
    with Session(engine) as session, session.begin():
        if session.scalar(stale) is None:
            return 0
        session.execute(promote, execution_options={"synchronize_session": False})
        result = session.execute(supersede, execution_options={"synchronize_session": False})
        return rowcount(result)


@functools.cache  # built once: building them (aliases) costs more than running them
def _statements() -> tuple[Select[int], Update, Update]:
    stale = select(OutboxMessage.id).where(*_pending_edit(), _later_edit()).limit(1)
    earlier = aliased(OutboxMessage)
    replaced = (
        earlier.root_key == OutboxMessage.root_key,
        earlier.method == UPDATE,
        earlier.status == PENDING,
        earlier.id < OutboxMessage.id,
    )
    promote = (  # the newest pending edit takes the most urgent priority it replaces
        update(OutboxMessage)
        .where(
            *_pending_edit(),
            ~_later_edit(),
            exists().where(*replaced, earlier.priority < OutboxMessage.priority),
        )
        .values(priority=select(func.min(earlier.priority)).where(*replaced).scalar_subquery())
    )
    newest = aliased(OutboxMessage)
    newest_id = (
        select(func.max(newest.id))
        .where(
            newest.root_key == OutboxMessage.root_key,
            newest.method == UPDATE,
            newest.status.in_(LATER),
        )
        .scalar_subquery()
    )
    supersede = (
        update(OutboxMessage)
        .where(*_pending_edit(), _later_edit())
        .values(
            status=SUPERSEDED,
            last_error=literal("superseded by outbox message ") + cast(newest_id, String),
        )
    )
    return stale, promote, supersede
