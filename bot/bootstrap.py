"""The composition root for a running bot: database, probes, scheduler, outbox, Slack app.

Nothing here runs at import; `build_services` creates, `Services.start` starts threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.changes.drift import DriftService, TableInspector
from bot.changes.notices import ChangeNoticeService
from bot.db.engine import make_engine
from bot.db.leases import HEARTBEAT_EVERY, LeaseKeeper
from bot.db.migrate import upgrade
from bot.freshness.judge import Timing
from bot.freshness.service import FreshnessService
from bot.incidents.service import IncidentService
from bot.outbox import OutboxWorker
from bot.outbox.worker import DEFAULT_MAX_ATTEMPTS
from bot.probes import Prober, ProbeResult, run_probes
from bot.registry.holder import RegistryHolder
from bot.registry.reload import Reloader
from ownership.model import Probe

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
OUTBOX_POLL = 0.5


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    engine: Engine
    holder: RegistryHolder
    freshness: FreshnessService
    outbox: OutboxWorker
    prober: Prober
    clock: Clock = utc_now
    scheduler: object | None = None
    replica_id: str | None = None
    admins: tuple[str, ...] = ()
    reloader: Reloader | None = None
    outbox_lease: LeaseKeeper | None = None
    incidents: IncidentService | None = None
    changes: ChangeNoticeService | None = None
    drift: DriftService | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, *, schedule: bool = True, replica_id: str | None = None) -> None:
        """Register this replica, then start the heartbeat, the outbox worker (while this
        replica holds the "outbox" lease) and, unless told not to, the freshness scheduler."""
        from bot.db.leases import LeaseKeeper, new_replica_id, register_replica

        self.replica_id = replica_id or new_replica_id()
        register_replica(self.engine, self.replica_id)
        self.outbox.holder = self.replica_id  # its claims end when our heartbeat stops
        self._spawn("heartbeat", self._heartbeat_loop)
        self.outbox_lease = LeaseKeeper(
            self.engine,
            "outbox",
            self.replica_id,
            ttl=timedelta(seconds=_env_seconds("DEMARC_LEASE_TTL", 20)),
        )
        self._spawn("outbox", self._outbox_loop)
        if schedule:
            from bot.jobs.freshness import FreshnessScheduler

            scheduler = FreshnessScheduler(self.freshness, clock=self.clock, holder=self.replica_id)
            scheduler.start()
            self.scheduler = scheduler
        if schedule and self.incidents is not None:  # escalations and reminders, from the DB
            from bot.incidents.timers import TimerLoop

            timers = TimerLoop(self.incidents, holder=self.replica_id)
            self._spawn("incident-timers", lambda: timers.run(self._stop))
        if schedule and self.changes is not None and self.drift is not None:
            from bot.jobs.periodic import Job, run_periodic

            jobs = [
                Job("notices", _env_seconds("DEMARC_NOTICE_SECONDS", 600), self.changes.tick),
                Job("drift", _env_seconds("DEMARC_DRIFT_SECONDS", 3600), self.drift.check),
            ]
            self._spawn("changes-and-drift", lambda: run_periodic(jobs, self._stop))

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _heartbeat_loop(self) -> None:
        from bot.db.leases import heartbeat

        assert self.replica_id is not None
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                heartbeat(self.engine, self.replica_id)
            except Exception:
                log.exception("heartbeat failed; retrying")

    def _outbox_loop(self) -> None:
        """Deliver while holding the outbox lease, so per-channel pacing is global; every Slack
        call is fenced by the lease's token (see `bot.db.leases`)."""
        while not self._stop.is_set():
            try:
                lease = self.outbox_lease
                if lease is not None and lease.acquire() is not None:
                    self.outbox.deliver_due(fence=lease.fence())
            except Exception:
                log.exception("outbox delivery failed; retrying")
            self._stop.wait(OUTBOX_POLL)

    def healthy(self) -> dict[str, object]:
        """What /healthz reports: database reachable, registry loaded, scheduler alive."""
        checks: dict[str, object] = {}
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["registry"] = f"ok: {len(self.holder.registry.contracts)} contracts"
        running = getattr(self.scheduler, "running", None)
        checks["scheduler"] = "ok" if running else ("stopped" if running is False else "off")
        checks["outbox"] = "ok" if all(t.is_alive() for t in self._threads) else "stopped"
        bad = [k for k, v in checks.items() if not str(v).startswith(("ok", "off"))]
        return {"status": "ok" if not bad else "unhealthy", "checks": checks}

    def stop(self) -> None:
        from bot.db.leases import unregister_replica

        self._stop.set()
        if self.scheduler is not None:
            self.scheduler.shutdown()  # type: ignore[attr-defined]
        for thread in self._threads:
            thread.join(timeout=5)
        if self.replica_id is not None:
            try:
                if self.outbox_lease is not None:
                    self.outbox_lease.release()
                unregister_replica(self.engine, self.replica_id)
            except Exception:
                log.exception("could not unregister replica %s", self.replica_id)
        self.prober.close()
        if self.drift is not None:
            self.drift.inspector.close()
        self.engine.dispose()


def _env_seconds(name: str, default: float) -> float:
    """Tuning knobs for operators and the replica tests (leases, re-check intervals)."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def timing_from_env() -> Timing:
    return Timing(
        recheck=timedelta(seconds=_env_seconds("DEMARC_RECHECK_SECONDS", 600)),
        claim_lease=timedelta(seconds=_env_seconds("DEMARC_CLAIM_LEASE", 120)),
    )


def outbox_client(token: str, api_url: str) -> WebClient:
    """No retry handlers: the outbox retries itself, and a client-side retry could double-post."""
    return WebClient(token=token, base_url=api_url, retry_handlers=[])


def build_services(
    holder: RegistryHolder,
    database_url: str,
    client: object,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
    timing: Timing | None = None,
    probe_threads: int = 8,
    probe_timeout: float = 60.0,
    migrate: bool = True,
) -> Services:
    engine = make_engine(database_url)
    if migrate:
        upgrade(database_url)
    # A probe's own timeouts never outlast the sweep's deadline.
    prober = Prober(
        os.environ if environ is None else environ,
        statement_timeout=min(30.0, probe_timeout),
        http_timeout=min(10.0, probe_timeout),
    )

    def probe_many(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
        return run_probes(jobs, prober.probe, max_workers=probe_threads, timeout=probe_timeout)

    timing = timing or timing_from_env()
    service = FreshnessService(
        engine, lambda: holder.registry, probe_many, clock=clock, timing=timing
    )
    worker = OutboxWorker(
        engine,
        client,
        clock=clock,  # type: ignore[arg-type]
        lease=timedelta(seconds=_env_seconds("DEMARC_SEND_LEASE", 120)),
        max_attempts=max(1, int(_env_seconds("DEMARC_OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))),
    )
    services = Services(engine, holder, service, worker, prober, clock)
    services.incidents = IncidentService(
        engine, lambda: holder.registry, clock=clock, admins=lambda: services.admins
    )
    services.changes = ChangeNoticeService(engine, lambda: holder.registry, clock=clock)
    services.drift = DriftService(
        engine,
        lambda: holder.registry,
        TableInspector(os.environ if environ is None else environ),
        clock=clock,
    )
    return services
