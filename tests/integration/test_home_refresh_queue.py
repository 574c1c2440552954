"""Queueing Home tab refreshes: only for people who opened the tab, one pending per person,
and never sooner than a minute after the last one sent or being sent (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.db.models import OutboxMessage
from bot.outbox.enqueue import PUBLISH_VIEW, SENDING, SENT, utc
from bot.outbox.home import MIN_INTERVAL, queue_home_refresh, remember_viewer

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ANA, BEN = "U0ANA0001", "U0BEN0001"


def queue(engine: Engine, users: list[str], now: datetime) -> int:
    with Session(engine) as session, session.begin():
        return queue_home_refresh(session, users, now)


def rows(engine: Engine) -> list[tuple[str, str, datetime]]:
    with Session(engine) as session:
        found = session.execute(
            select(OutboxMessage.channel, OutboxMessage.status, OutboxMessage.next_attempt_at)
            .where(OutboxMessage.method == PUBLISH_VIEW)
            .order_by(OutboxMessage.id)
        ).all()
    return [(c, s, utc(at)) for c, s, at in found]


def set_status(engine: Engine, status: str, **values: object) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(OutboxMessage).values(status=status, **values))


def test_only_viewers_one_pending_each_and_a_minute_apart(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        remember_viewer(session, ANA, T0)
    assert queue(engine, [ANA, BEN], T0) == 1  # Ben never opened the tab
    assert queue(engine, [ANA], T0 + timedelta(seconds=5)) == 0  # one is pending already
    assert rows(engine) == [(ANA, "pending", T0)]

    set_status(engine, SENDING)  # being sent: maybe rendered before this change
    assert queue(engine, [ANA], T0 + timedelta(seconds=10)) == 1
    assert rows(engine)[-1] == (ANA, "pending", T0 + timedelta(seconds=10) + MIN_INTERVAL)

    set_status(engine, SENT, sent_at=T0 + timedelta(seconds=20))
    assert queue(engine, [ANA], T0 + timedelta(seconds=30)) == 1
    assert rows(engine)[-1] == (ANA, "pending", T0 + timedelta(seconds=20) + MIN_INTERVAL)

    set_status(engine, SENT, sent_at=T0 + timedelta(seconds=20))
    later = T0 + timedelta(minutes=5)
    assert queue(engine, [ANA], later) == 1
    assert rows(engine)[-1] == (ANA, "pending", later)  # long after the last: at once
