"""The composition root: `build` wires a bot's parts from `Settings`, `start` runs them.

Nothing here runs at import. `build` creates the database engine, probes, services, the outbox
worker, the reloader and the (not yet started) scheduler, as one frozen `Services`; `start`
registers the replica and starts the background jobs (`bot.jobs.schedule`), and returns the
`Runtime` whose `stop` ends them. Every entry point (serve, the demo, CLI commands, tests)
builds its parts here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.home import render_home
from bot.changes.drift import DriftService, TableInspector
from bot.changes.notices import ChangeNoticeService
from bot.db.engine import make_engine
from bot.db.leases import LeaseKeeper, new_replica_id, register_replica, unregister_replica
from bot.db.migrate import upgrade
from bot.freshness.judge import Timing
from bot.freshness.service import FreshnessService
from bot.home.world import gather_home
from bot.incidents.links import tell_incidents_data_recovered
from bot.incidents.service import IncidentService
from bot.incidents.timers import TimerJob
from bot.jobs.freshness import FreshnessScheduler
from bot.jobs.schedule import periodic_jobs
from bot.jobs.scheduler import Periodic
from bot.oncall.overrides import effective_registry
from bot.oncall.sources import ScheduleReader
from bot.oncall.sync import OnCallSync
from bot.ops.retention import RetentionJob, RetentionPolicy
from bot.outbox import OutboxWorker
from bot.outbox.home import HomeRefresher
from bot.probes import Prober, ProbeResult, make_prober
from bot.probes.quality import QualityProber
from bot.quality.service import QualityService
from bot.registry.holder import RegistryHolder
from bot.registry.reload import Reloader
from bot.reports.digest_job import DigestJob
from bot.requests.publish import publisher
from bot.requests.service import RequestService
from bot.requests.steps import RequestSteps
from bot.settings import Settings
from bot.subscriptions.notify import SubscriptionNotifier
from bot.webhooks.events import WebhookEmitter
from bot.webhooks.worker import WebhookWorker
from ownership.model import Probe

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """A bot's parts, wired; nothing runs until `start(services)`."""

    settings: Settings
    engine: Engine
    holder: RegistryHolder
    freshness: FreshnessService
    outbox: OutboxWorker
    prober: Prober
    incidents: IncidentService
    changes: ChangeNoticeService
    drift: DriftService
    reloader: Reloader
    scheduler: FreshnessScheduler
    replica_id: str  # names this process's claims and leases
    clock: Clock = utc_now
    webhooks: WebhookWorker | None = None  # outgoing webhooks (DEMARC_WEBHOOKS)
    quality: QualityService | None = None
    oncall: OnCallSync | None = None  # user groups and handoff notices (issue 15)
    oncall_sources: ScheduleReader | None = None  # schedules kept elsewhere
    requests: RequestService | None = None  # data requests (issue 17)
    request_steps: RequestSteps | None = None  # their answers and reminders

    @property
    def admins(self) -> tuple[str, ...]:
        return self.settings.admins

    def close(self) -> None:
        """Release connections (after `Runtime.stop`, or instead of it when never started)."""
        self.prober.close()
        if self.webhooks is not None:
            self.webhooks.close()
        self.drift.inspector.close()
        if self.quality is not None:
            self.quality.prober.close()
        self.outbox.close()
        self.engine.dispose()


def each(*hooks: Callable[..., object]) -> Callable[..., None]:
    """One hook that calls every one of `hooks` with the same arguments, in order."""

    def call_each(*args: object) -> None:
        for hook in hooks:
            hook(*args)

    return call_each


def outbox_client(token: str, api_url: str) -> WebClient:
    """No retry handlers: the outbox retries itself, and a client-side retry could double-post."""
    return WebClient(token=token, base_url=api_url, retry_handlers=[])


def retention_policy(settings: Settings) -> RetentionPolicy:
    """Days of 0 keep that history forever."""

    def days(n: int) -> timedelta | None:
        return timedelta(days=n) if n > 0 else None

    return RetentionPolicy(
        checks=days(settings.retain_checks_days),
        outbox=days(settings.retain_outbox_days),
        batch=settings.retention_batch,
    )


def timing_of(settings: Settings) -> Timing:
    return Timing(recheck=settings.recheck, claim_lease=settings.claim_lease)


def build(
    settings: Settings,
    *,
    slack_client: WebClient,
    environ: Mapping[str, str],
    clock: Clock = utc_now,
    holder: RegistryHolder | None = None,
    timing: Timing | None = None,
    per_channel_interval: timedelta = timedelta(seconds=1),
    probe_threads: int = 8,
    probe_timeout: float = 60.0,
    migrate: bool = True,
) -> Services:
    """`environ` holds the probes' connection variables (named by contracts: data, not
    settings); `holder` defaults to the registry at `settings.registry_path`."""
    holder = holder or RegistryHolder.from_path(settings.registry_path)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(settings.database_url)
    prober = make_prober(environ, timeout=probe_timeout)

    def probe_many(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
        return prober.run(jobs, max_workers=probe_threads, timeout=probe_timeout)

    replica_id = new_replica_id()
    notifier = SubscriptionNotifier(lambda: holder.registry)
    homes = HomeRefresher(lambda: holder.registry)
    emitter = WebhookEmitter(settings.webhooks, lambda: holder.registry)
    sources = ScheduleReader(environ)
    freshness = FreshnessService(
        engine,
        lambda: holder.registry,
        probe_many,
        clock=clock,
        timing=timing or timing_of(settings),
        on_recovered=each(
            tell_incidents_data_recovered, notifier.on_recovered, emitter.on_recovered,
            homes.on_recovered,
        ),
        on_breached=each(notifier.on_breached, emitter.on_breached, homes.on_breached),
    )
    scheduler = FreshnessScheduler(freshness, clock=clock, holder=replica_id)
    requests = RequestService(engine, lambda: holder.registry, clock, settings.registry_path)
    services = Services(
        settings=settings,
        engine=engine,
        holder=holder,
        freshness=freshness,
        outbox=OutboxWorker(
            engine,
            slack_client,
            clock=clock,
            per_channel_interval=per_channel_interval,
            lease=settings.send_lease,
            max_attempts=settings.outbox_max_attempts,
            holder=replica_id,  # its claims end when our heartbeat stops
            admin_channel=settings.admin_channel,  # told about dead letters
            concurrency=settings.outbox_concurrency,
            # a round waits on the wall clock; an injected clock is moved between rounds
            round_budget=settings.outbox_round if clock is utc_now else timedelta(0),
        ),
        prober=prober,
        incidents=IncidentService(
            engine,
            lambda: holder.registry,
            clock=clock,
            admins=lambda: settings.admins,
            on_change=each(notifier.on_incident, emitter.on_incident, homes.on_incident),
        ),
        changes=ChangeNoticeService(
            engine, lambda: holder.registry, clock=clock, on_announced=notifier.on_announced
        ),
        drift=DriftService(engine, lambda: holder.registry, TableInspector(environ), clock=clock),
        reloader=Reloader(
            holder, engine, clock, settings.admin_channel, on_change=scheduler.refresh
        ),
        scheduler=scheduler,
        replica_id=replica_id,
        clock=clock,
        webhooks=WebhookWorker(
            engine,
            settings.webhooks,
            clock=clock,
            max_attempts=settings.outbox_max_attempts,
            admin_channel=settings.admin_channel,
        )
        if settings.webhooks
        else None,
        quality=QualityService(
            engine,
            lambda: holder.registry,
            QualityProber(environ, statement_timeout=min(60.0, max(probe_timeout, 0.001))),
            clock=clock,
        ),
        oncall=OnCallSync(
            engine,
            lambda: holder.registry,
            slack_client,
            clock,
            replica_id,
            lease_ttl=settings.lease_ttl,
            external=sources.view,
        ),
        oncall_sources=sources,
        requests=requests,
        request_steps=RequestSteps(requests, publisher(settings, requests, environ).publish),
    )
    services.outbox.views = home_view(engine, holder, clock, sources)
    return services


def home_view(
    engine: Engine, holder: RegistryHolder, clock: Clock, sources: ScheduleReader
) -> Callable[[str], dict[str, Any]]:
    """A person's Home tab as it is now, for the outbox's `views.publish` refreshes."""

    def render(user_id: str) -> dict[str, Any]:
        now = clock()
        registry = effective_registry(engine, holder.registry, now, sources.cached_current)
        return render_home(gather_home(engine, registry, user_id, now))

    return render


@dataclass(frozen=True)
class Runtime:
    """The running background work of one `Services`; `stop` ends it."""

    services: Services
    periodic: Periodic

    def healthy(self) -> dict[str, object]:
        return health(self.services, self.periodic)

    def stop(self) -> None:
        """End the jobs (runs in flight get a few seconds), unregister, close."""
        services = self.services
        self.periodic.stop()
        services.scheduler.shutdown()
        try:
            unregister_replica(services.engine, services.replica_id)
        except Exception:
            log.exception("could not unregister replica %s", services.replica_id)
        services.close()


def health(services: Services, periodic: Periodic | None = None) -> dict[str, object]:
    """What /healthz reports: database reachable, registry loaded, jobs alive (or "off" when
    never started)."""
    checks: dict[str, object] = {}
    try:
        with services.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["registry"] = f"ok: {len(services.holder.registry.contracts)} contracts"
    if periodic is None:
        checks["scheduler"] = checks["outbox"] = "off"
    else:
        checks["scheduler"] = "ok" if services.scheduler.running else "stopped"
        checks["outbox"] = "ok" if periodic.running("outbox") else "stopped"
    bad = [k for k, v in checks.items() if not str(v).startswith(("ok", "off"))]
    return {"status": "ok" if not bad else "unhealthy", "checks": checks}


def start(services: Services) -> Runtime:
    """Register this replica, then start every background job on the one scheduler.

    Raises `SingleReplicaOnly` (nothing started) when another replica runs on SQLite.
    """
    settings = services.settings
    register_replica(services.engine, services.replica_id)
    outbox_lease = LeaseKeeper(
        services.engine, "outbox", services.replica_id, ttl=settings.lease_ttl
    )
    jobs = periodic_jobs(
        engine=services.engine,
        replica_id=services.replica_id,
        outbox=services.outbox,
        outbox_lease=outbox_lease,
        timers=TimerJob(services.incidents, holder=services.replica_id),
        changes=services.changes,
        drift=services.drift,
        reloader=services.reloader,
        notice_every=settings.notice_interval,
        drift_every=settings.drift_interval,
        reload_every=timedelta(seconds=settings.reload_interval),
        webhooks=services.webhooks.deliver_due if services.webhooks is not None else None,
        retention=RetentionJob(
            services.engine,
            clock=services.clock,
            policy=retention_policy(settings),
            holder=services.replica_id,
        ),
        retention_every=settings.retention_interval,
        quality=services.quality,
        quality_every=settings.quality_interval,
        oncall=services.oncall,
        digest=_digest_job(services),
        request_steps=services.request_steps,
    )
    periodic = Periodic(services.scheduler.scheduler, jobs)
    periodic.start()
    services.scheduler.start()
    return Runtime(services, periodic)


def _digest_job(services: Services) -> DigestJob | None:
    """The weekly SLA digest, when DEMARC_DIGEST_AT sets its time (docs/reports.md)."""
    schedule = services.settings.digest
    if schedule is None:
        return None
    holder = services.holder
    return DigestJob(
        services.engine, lambda: holder.registry, schedule, services.replica_id, services.clock
    )
