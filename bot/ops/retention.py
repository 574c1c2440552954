"""The retention job: fold counters, roll up ended days, prune old history (docs/retention.md).

`bot.jobs.schedule` runs it every minute; one replica at a time does the work, the holder of
the "retention" lease, and every transaction first confirms the lease's fencing token (a
replica paused past its lease cannot fold or delete twice). Order matters: counters are
folded before rows may go (pruning stays below the fold mark) and a day is rolled up before
any of its checks may go (pruning stays before the first day not rolled).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.db.leases import Fence, LeaseKeeper
from bot.ops.prune import prune_checks, prune_outbox
from bot.ops.rollup import day_start, next_day_to_roll, roll_day, rolled_through
from bot.ops.totals import MARK, fold, get_total

log = logging.getLogger(__name__)
LEASE = "retention"
T = TypeVar("T")
DAYS_PER_RUN = 3  # a long backlog (first start on an old database) is rolled up over runs


@dataclass(frozen=True)
class RetentionPolicy:
    """How long history is kept (None: forever) and how much one run may delete."""

    checks: timedelta | None = timedelta(days=30)
    outbox: timedelta | None = timedelta(days=7)
    batch: int = 5000
    budget_seconds: float = 20.0  # a run stops folding and pruning after this; the next goes on


@dataclass
class RetentionRun:
    """What one run did (logged; tests and the benchmark read it)."""

    held: bool = True
    rolled: list[date] = field(default_factory=list)
    checks_pruned: int = 0
    outbox_pruned: int = 0
    batches: int = 0


class RetentionJob:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime],
        policy: RetentionPolicy | None = None,
        holder: str | None = None,
        lease_ttl: timedelta = timedelta(seconds=60),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy or RetentionPolicy()
        self.lease = None if holder is None else LeaseKeeper(engine, LEASE, holder, ttl=lease_ttl)

    def run_once(self) -> RetentionRun:
        """Fold, roll up, prune: one run, bounded by the policy's batch size and budget."""
        fence: Fence | None = None
        if self.lease is not None:
            if self.lease.acquire() is None:
                return RetentionRun(held=False)
            fence = self.lease.fence()
        return self.run(fence)

    def run(self, fence: Fence | None) -> RetentionRun:
        """The work of one run, each transaction fenced by `fence` (None: no lease, e.g. the
        CLI or a benchmark); stops at the first transaction whose fence no longer holds."""
        run = RetentionRun()
        now = self.clock()
        ends = time.monotonic() + self.policy.budget_seconds
        try:
            while self._in_transaction(fence, fold) and time.monotonic() < ends:
                pass  # a long history not folded yet (after an upgrade): catch up
            for _ in range(DAYS_PER_RUN):
                if not self._in_transaction(fence, lambda s: self._roll_next(s, now, run)):
                    break
            self._prune(fence, now, run, ends)
        except LeaseLost:
            run.held = False
        if run.rolled or run.checks_pruned or run.outbox_pruned:
            log.info(
                "retention: rolled up %s, pruned %d checks and %d outbox rows in %d batches",
                ", ".join(map(str, run.rolled)) or "no day",
                run.checks_pruned,
                run.outbox_pruned,
                run.batches,
            )
        return run

    def release(self) -> None:
        if self.lease is not None:
            self.lease.release()

    def _in_transaction(self, fence: Fence | None, work: Callable[[Session], T]) -> T:
        """`work` in one transaction, under the lease (`LeaseLost` when no longer ours)."""
        with Session(self.engine) as session, session.begin():
            if fence is not None and not fence.confirm(session):
                raise LeaseLost
            return work(session)

    def _roll_next(self, session: Session, now: datetime, run: RetentionRun) -> bool:
        day = next_day_to_roll(session, now)
        if day is None:
            return False
        roll_day(self.engine, session, day)
        run.rolled.append(day)
        return True

    def _prune(self, fence: Fence | None, now: datetime, run: RetentionRun, ends: float) -> None:
        policy = self.policy
        with Session(self.engine) as session:
            done = rolled_through(session)
            check_mark = get_total(session, MARK, "check_results") or 0
            outbox_mark = get_total(session, MARK, "outbox") or 0
        if policy.checks is not None and done is not None:
            before = min(now - policy.checks, day_start(done + timedelta(days=1)))
            half = time.monotonic() + max(0.0, ends - time.monotonic()) / 2  # outbox's turn
            while time.monotonic() < (half if policy.outbox is not None else ends):
                n = self._in_transaction(
                    fence,
                    lambda s: prune_checks(s, before=before, mark=check_mark, batch=policy.batch),
                )
                run.checks_pruned += n
                run.batches += 1
                if n < policy.batch:
                    break
        if policy.outbox is not None:
            before = now - policy.outbox
            while time.monotonic() < ends:
                n = self._in_transaction(
                    fence,
                    lambda s: prune_outbox(s, before=before, mark=outbox_mark, batch=policy.batch),
                )
                run.outbox_pruned += n
                run.batches += 1
                if n < policy.batch:
                    break


class LeaseLost(Exception):
    """Another replica holds the retention lease now: stop this run."""
