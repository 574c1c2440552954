"""Incident timers fired by a periodic job: a restart neither drops nor doubles them.

The timers and their claims live in `bot.incidents.deadlines`. With several replicas, only the
holder of the "timers" lease runs the job at all.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.db.leases import LeaseKeeper
from bot.incidents.service import IncidentService

log = logging.getLogger(__name__)
POLL_SECONDS = 15.0


class TimerJob:
    """One run of the incident timers (`bot.jobs.schedule` runs it every `POLL_SECONDS`):
    fire those due, while this replica holds the "timers" lease."""

    def __init__(
        self,
        service: IncidentService,
        *,
        holder: str | None = None,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.service = service
        self.lease = None
        if holder is not None:
            self.lease = LeaseKeeper(
                service.engine, "timers", holder, ttl=timedelta(seconds=max(poll * 3, 20))
            )

    def run_once(self) -> int:
        if self.lease is not None and self.lease.acquire() is None:
            return 0
        return self.service.fire_due_timers()

    def release(self) -> None:
        """After the last run: let another replica take the timers at once."""
        if self.lease is not None:
            self.lease.release()
