"""The one mechanism for background work: an APScheduler `BackgroundScheduler`.

Every job has a fixed id and is a date job that re-arms itself when it is done: freshness
checks at each contract's next check (`bot.jobs.freshness`), the periodic jobs one interval
after their last run ends (`Periodic`, listed in `bot.jobs.schedule`), so no job ever overlaps
itself (`max_instances=1`) and a late one runs once (`coalesce=True`). Periodic jobs run on an
executor of their own, a thread each, so a burst of due checks never delays a heartbeat.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
PERIODIC = "periodic"  # the executor of the periodic jobs
CHECK_THREADS = 10  # freshness checks at once (each waits on its probe)


def make_scheduler(*, misfire_grace_seconds: int = 3600) -> BackgroundScheduler:
    """In memory, never a shared job store: replicas coordinate through the database."""
    return BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(CHECK_THREADS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": misfire_grace_seconds,
        },
    )


@dataclass(frozen=True)
class Job:
    """`run` every `every`, the first time right away (or after one interval)."""

    id: str
    every: timedelta
    run: Callable[[], object]
    at_start: bool = True
    on_stop: Callable[[], object] | None = None  # after the last run, e.g. release a lease


class Periodic:
    """The periodic jobs on `scheduler`: a failing run is logged with a ref, never fatal, and
    the next one comes one interval later; `stop` waits (bounded) for runs in flight."""

    def __init__(self, scheduler: BackgroundScheduler, jobs: Sequence[Job]) -> None:
        self.scheduler = scheduler
        self.jobs = tuple(jobs)
        self._stopping = False
        self._in_flight = 0
        self._idle = threading.Condition()
        self._armed: set[str] = set()  # jobs with a next run (or running): alive

    def start(self) -> None:
        """Add the jobs (and their executor); starts the scheduler unless it runs already."""
        if self.jobs:
            self.scheduler.add_executor(ThreadPoolExecutor(len(self.jobs)), PERIODIC)
        now = datetime.now(UTC)  # intervals are wall time; the domain clock is for the data
        for job in self.jobs:
            self._arm(job, now if job.at_start else now + job.every)
        if not self.scheduler.running:
            self.scheduler.start()

    def _arm(self, job: Job, at: datetime) -> None:
        self._armed.discard(job.id)  # until the next run is in the scheduler
        self.scheduler.add_job(
            self.run,
            "date",
            run_date=at,
            args=[job],
            id=job.id,
            executor=PERIODIC,
            replace_existing=True,
        )
        self._armed.add(job.id)

    def run(self, job: Job) -> None:
        """One run of `job`, then the next one armed."""
        with self._idle:
            if self._stopping:
                return
            self._in_flight += 1
        try:
            job.run()
        except Exception:
            ref = secrets.token_hex(3)
            log.exception(
                "%s failed (ref %s); trying again in %.0f s",
                job.id,
                ref,
                job.every.total_seconds(),
            )
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
                if not self._stopping:
                    self._arm(job, datetime.now(UTC) + job.every)

    def running(self, job_id: str) -> bool:
        """The scheduler runs and the job has a next run or is running (what /healthz
        reports)."""
        return bool(self.scheduler.running) and job_id in self._armed

    def stop(self, timeout: float = 5.0) -> None:
        """No new runs; wait up to `timeout` for those in flight, then each job's `on_stop`."""
        deadline = time.monotonic() + timeout
        with self._idle:
            self._stopping = True
            while self._in_flight and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
        for job in self.jobs:
            if job.on_stop is not None:
                try:
                    job.on_stop()
                except Exception:
                    log.exception("%s: could not clean up after the last run", job.id)
