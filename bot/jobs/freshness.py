"""APScheduler 3.x as its authors intend: in-memory jobs rebuilt from the contracts at start.

Each contract has one job, `freshness:<contract id>`, with a date trigger at its next check
(from the database, so a restart resumes the schedule; an overdue check runs once right away,
never skipped). After each run the job is re-added for the contract's new next check. The
scheduler is the process's one (`bot.jobs.scheduler`), shared with the periodic jobs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.leases import next_attempt
from bot.db.models import ContractStatus
from bot.freshness.service import FreshnessService
from bot.jobs.scheduler import make_scheduler

log = logging.getLogger(__name__)
JOB_PREFIX = "freshness:"
CLAIM_RETRY = timedelta(seconds=30)
BATCH = 500  # checks claimed, probed and recorded together: one quiet chunk, well within
# a claim lease (probing is bounded by the probe timeout, recording 500 changed checks ~3 s)


class FreshnessScheduler:
    def __init__(
        self,
        service: FreshnessService,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        misfire_grace_seconds: int = 3600,
        holder: str | None = None,
        scheduler: BaseScheduler | None = None,
    ) -> None:
        self.service = service
        self.holder = holder  # this replica's id: checks are claimed through the database
        self.clock = clock
        self.scheduler = scheduler or make_scheduler(misfire_grace_seconds=misfire_grace_seconds)
        self._stopping = False
        self._lock = threading.Lock()
        self._inflight: set[str] = set()  # contracts of the batches running now

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()
        self.rebuild()

    def refresh(self) -> None:
        """After a registry reload: `rebuild` if running (a process that never started the
        scheduler, e.g. a test that runs checks itself, schedules nothing)."""
        if self.running:
            self.rebuild()

    def shutdown(self) -> None:
        self._stopping = True  # queued jobs return at once, so the process can exit
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def rebuild(self) -> None:
        """(Re)create one job per contract of the current registry; drop jobs of removed ones."""
        registry = self.service.registry()
        due = self.due_times()
        now = self.clock()
        wanted = set()
        for contract_id, contract in registry.contracts.items():
            if contract.probe is None:  # nothing to check (see FreshnessService.check)
                continue
            wanted.add(JOB_PREFIX + contract_id)
            self.schedule(contract_id, due.get(contract_id) or now)
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                job.remove()

    def due_times(self) -> dict[str, datetime]:
        with Session(self.service.engine) as session:
            rows = session.execute(select(ContractStatus.contract_id, ContractStatus.next_check_at))
            return {cid: at for cid, at in rows if at is not None}

    def schedule(self, contract_id: str, at: datetime) -> None:
        now = self.clock()
        self.scheduler.add_job(
            self.run_check,
            "date",
            run_date=max(at, now),
            args=[contract_id],
            id=JOB_PREFIX + contract_id,
            replace_existing=True,
        )

    def run_check(self, contract_id: str) -> None:
        """Run this contract's check with every other one due by now, as one batch: claimed
        in one transaction, probed together, the quiet ones recorded a chunk at a time
        (`FreshnessService.check_claimed_many`). Each is rescheduled after."""
        if self._stopping:
            return
        batch = self._take_due(contract_id)
        if not batch:
            return  # a batch already running holds it and reschedules it
        try:
            for start in range(0, len(batch), BATCH):
                self._run_batch(batch[start : start + BATCH])
        finally:
            with self._lock:
                self._inflight.difference_update(batch)

    def _take_due(self, contract_id: str) -> list[str]:
        """`contract_id` and the contracts whose jobs are due by the wall clock (APScheduler's)
        and not in a running batch; their jobs are removed (the batch reschedules them)."""
        with self._lock:
            if contract_id in self._inflight:
                return []
            batch = [contract_id]
            now = datetime.now(UTC)
            jobs = self.scheduler.get_jobs() if self.scheduler.running else []
            for job in jobs:  # by next run time
                at = getattr(job, "next_run_time", None)  # none while pending or paused
                if at is None or at > now:
                    break
                other = job.id[len(JOB_PREFIX) :]
                if job.id.startswith(JOB_PREFIX) and other not in self._inflight:
                    if other != contract_id:
                        batch.append(other)
                    with contextlib.suppress(JobLookupError):  # just started: finds us
                        job.remove()
            self._inflight.update(batch)
            return batch

    def _run_batch(self, batch: list[str]) -> None:
        try:
            if self.holder is None:
                reports = self.service.check(batch)
            else:
                reports = self.service.check_claimed_many(
                    batch, self.holder, self.service.timing.claim_lease
                )
        except Exception:
            log.exception("freshness checks of %s failed; retrying later", ", ".join(batch))
            for contract_id in batch:
                self.schedule(contract_id, self.clock() + self.service.timing.retry_failed)
            return
        ran = set()
        for report in reports:
            ran.add(report.contract.id)
            self.schedule(report.contract.id, report.next_check_at)
        registry = self.service.registry()
        for contract_id in batch:
            if contract_id in ran:
                continue
            contract = registry.contracts.get(contract_id)
            if contract is None or contract.probe is None:
                continue  # not checked any more (the next rebuild drops its job)
            # not due any more, or another replica has it
            later = next_attempt(self.service.engine, contract_id, self.clock())
            now = self.clock()
            self.schedule(contract_id, max(later or now, now + CLAIM_RETRY))
