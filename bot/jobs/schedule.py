"""Every periodic job of a running bot and its interval, in one list (`periodic_jobs`).

Freshness checks are not here: each contract's job runs at its own next check
(`bot.jobs.freshness`). All run on the one scheduler (`bot.jobs.scheduler`). Replicas may all
run notices, drift and polling (they dedupe in the database); the outbox and the incident
timers and retention run only on the holder of their lease.
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
from bot.ops.retention import RetentionJob
from bot.outbox.worker import OutboxWorker
from bot.quality.service import QualityService
from bot.registry.reload import Reloader
from bot.reports.digest_job import DigestJob
from bot.requests.steps import RequestSteps

OUTBOX_EVERY = timedelta(seconds=0.5)
TIMERS_EVERY = timedelta(seconds=POLL_SECONDS)
WEBHOOKS_EVERY = timedelta(seconds=1)
RETENTION_EVERY = timedelta(seconds=60)
DIGEST_EVERY = timedelta(seconds=60)
REMINDERS_EVERY = timedelta(minutes=5)


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
    webhooks: Callable[[], int] | None = None,
    retention: RetentionJob | None = None,
    retention_every: timedelta = RETENTION_EVERY,
    quality: QualityService | None = None,
    quality_every: timedelta = timedelta(minutes=5),
    oncall: OnCallSync | None = None,
    digest: DigestJob | None = None,
    request_steps: RequestSteps | None = None,
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
    if webhooks is not None:  # every replica may run it: rows are claimed one by one
        jobs.append(Job("webhooks", WEBHOOKS_EVERY, webhooks))
    if retention is not None:  # folds metric counters, rolls up days, prunes history
        jobs.append(
            Job("retention", retention_every, retention.run_once, on_stop=retention.release)
        )
    if quality is not None:  # each contract once per period, after its data arrived
        lease = LeaseKeeper(engine, "quality", replica_id, ttl=max(quality_every, OUTBOX_EVERY))
        run = sweep_quality(quality, lease)
        jobs.append(Job("data-quality", quality_every, run, on_stop=lease.release))
    if oncall is not None:  # user groups and handoff notices, on the lease holder only
        jobs.append(Job("oncall-sync", SYNC_EVERY, oncall.tick, on_stop=oncall.release))
    if digest is not None:  # each team's weekly digest, queued once (lease + digest_posts)
        jobs.append(Job("weekly-digest", DIGEST_EVERY, digest.run_once, on_stop=digest.release))
    if request_steps is not None:  # data requests nobody answered, on the lease holder only
        lease = LeaseKeeper(engine, "request-reminders", replica_id, ttl=REMINDERS_EVERY * 3)
        run = remind_requests(request_steps, lease)
        jobs.append(Job("request-reminders", REMINDERS_EVERY, run, on_stop=lease.release))
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


def sweep_quality(quality: QualityService, lease: LeaseKeeper) -> Callable[[], int]:
    """One quality sweep on the replica holding the `quality` lease: one replica measures the
    tables (the alerts' unique key settles any overlap after a lease expires mid-sweep)."""

    def run() -> int:
        if lease.acquire() is None:
            return 0
        return len(quality.check())

    return run


def remind_requests(steps: RequestSteps, lease: LeaseKeeper) -> Callable[[], int]:
    """Reminders on data requests, once across replicas: only the lease holder sends them."""

    def run() -> int:
        if lease.acquire() is None:
            return 0
        return steps.remind_due()

    return run
