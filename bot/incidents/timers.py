"""Incident timers fired by a periodic job: a restart neither drops nor doubles them.

The timers and their claims live in `bot.incidents.deadlines`. With several replicas, only the
holder of the "timers" lease runs the job at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.db.leases import LeaseKeeper
from bot.incidents.service import IncidentService

log = logging.getLogger(__name__)
POLL_SECONDS = 15.0


class TimerLoop:
    """`run(stop)` in a thread: fire due timers every `poll` seconds (while holding the lease)."""

    def __init__(
        self,
        service: IncidentService,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] | None = None,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.service = service
        self.clock = clock or service.clock
        self.poll = poll
        self.lease = None
        if holder is not None:
            self.lease = LeaseKeeper(
                service.engine, "timers", holder, ttl=timedelta(seconds=max(poll * 3, 20))
            )

    def run_once(self) -> int:
        if self.lease is not None and self.lease.acquire() is None:
            return 0
        return self.service.fire_due_timers()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("incident timers failed; retrying in %.0fs", self.poll)
            stop.wait(self.poll)
        if self.lease is not None:
            try:
                self.lease.release()
            except Exception:
                log.exception("could not release the timers lease")
