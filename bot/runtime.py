"""The composition root for a running bot: database, probes, scheduler, outbox, Slack app.

Nothing here runs at import; `build_services` creates, `Services.start` starts threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.freshness.judge import Timing
from bot.freshness.service import FreshnessService
from bot.outbox import OutboxWorker
from bot.probes import Prober, ProbeResult, run_probes
from bot.registry_holder import RegistryHolder
from ownership.model import Probe

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


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
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, *, schedule: bool = True) -> None:
        """Start the outbox worker thread and (unless told not to) the freshness scheduler."""
        thread = threading.Thread(
            target=self.outbox.run, args=(self._stop,), name="outbox", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        if schedule:
            from bot.scheduler import FreshnessScheduler

            scheduler = FreshnessScheduler(self.freshness, clock=self.clock)
            scheduler.start()
            self.scheduler = scheduler

    def stop(self) -> None:
        self._stop.set()
        if self.scheduler is not None:
            self.scheduler.shutdown()  # type: ignore[attr-defined]
        for thread in self._threads:
            thread.join(timeout=5)
        self.prober.close()
        self.engine.dispose()


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
    prober = Prober(os.environ if environ is None else environ)

    def probe_many(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
        return run_probes(jobs, prober.probe, max_workers=probe_threads, timeout=probe_timeout)

    service = FreshnessService(
        engine, lambda: holder.registry, probe_many, clock=clock, timing=timing
    )
    worker = OutboxWorker(engine, client, clock=clock)  # type: ignore[arg-type]
    return Services(engine, holder, service, worker, prober, clock)
