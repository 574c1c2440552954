"""Slack event dedupe in the database, shared by every replica (Slack retries deliveries)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import ProcessedEvent

KEEP = timedelta(days=1)  # Slack retries within minutes; a day is ample


class SqlEventDeduper:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine = engine
        self.clock = clock
        self._inserts = 0

    def seen_before(self, event_id: str) -> bool:
        """Record `event_id`; True when some process recorded it already."""
        now = self.clock()
        try:
            with Session(self.engine) as session, session.begin():
                session.add(ProcessedEvent(event_id=event_id[:64], received_at=now))
        except IntegrityError:
            return True
        self._inserts += 1
        if self._inserts % 500 == 0:
            with Session(self.engine) as session, session.begin():
                session.execute(
                    delete(ProcessedEvent).where(ProcessedEvent.received_at < now - KEEP)
                )
        return False
