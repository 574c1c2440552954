"""Every periodic job of a running bot and its interval, in one list (`periodic_jobs`).

Freshness checks are not here: each contract's job runs at its own next check
(`bot.jobs.freshness`). All run on the one scheduler (`bot.jobs.scheduler`). Replicas may all
run notices, drift and polling (they dedupe in the database); the outbox and the incident
timers run only on the holder of their lease.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from bot.changes.drift import DriftService
from bot.changes.notices import ChangeNoticeService
from bot.db.leases import HEARTBEAT_EVERY, LeaseKeeper, heartbeat
from bot.incidents.timers import POLL_SECONDS, TimerJob
from bot.jobs.scheduler import Job
from bot.oncall.sync import SYNC_EVERY, OnCallSync
from bot.outbox.worker import OutboxWorker
from bot.registry.reload import Reloader

OUTBOX_EVERY = timedelta(seconds=0.5)
TIMERS_EVERY = timedelta(seconds=POLL_SECONDS)


def periodic_jobs(
    *,
    engine: Engine,
    replica_id: str,
    outbox: OutboxWorker,
    outbox_lease: LeaseKeeper,
    timers: TimerJob,
    changes: ChangeNoticeService,
    drift: DriftService,
    reloader: Reloader,
    notice_every: timedelta,
    drift_every: timedelta,
    reload_every: timedelta,
    oncall: OnCallSync | None = None,
) -> list[Job]:
    """The list; `reload_every` of 0 turns registry polling off."""
    jobs = [
        Job(
            "heartbeat",
            HEARTBEAT_EVERY,
            lambda: heartbeat(engine, replica_id),
            at_start=False,  # registering the replica was the first one
        ),
        Job("outbox", OUTBOX_EVERY, deliver_outbox(outbox, outbox_lease),
            on_stop=outbox_lease.release),
        Job("incident-timers", TIMERS_EVERY, timers.run_once, on_stop=timers.release),
        Job("change-notices", notice_every, changes.tick),
        Job("schema-drift", drift_every, drift.check),
    ]
    if oncall is not None:  # user groups and handoff notices, on the lease holder only
        jobs.append(Job("oncall-sync", SYNC_EVERY, oncall.tick, on_stop=oncall.release))
    if reload_every > timedelta(0):
        reloader.poll_once(first=True)  # what the files look like now: changes count from here
        jobs.append(Job("registry-poll", reload_every, reloader.poll_once, at_start=False))
    return jobs


def deliver_outbox(outbox: OutboxWorker, lease: LeaseKeeper | None) -> Callable[[], int]:
    """One outbox round while holding the outbox lease, so per-channel pacing is global; every
    Slack call is fenced by the lease's token (see `bot.db.leases`)."""

    def run() -> int:
        if lease is None:
            return outbox.deliver_due()
        if lease.acquire() is None:
            return 0
        return outbox.deliver_due(fence=lease.fence())

    return run
