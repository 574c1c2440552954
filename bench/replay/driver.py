"""Replays a world through the real FreshnessService and outbox on a fake clock.

* The warehouse is a SQLite table `loads(name, loaded_at)`; a row is inserted when the fake
  clock passes its delivery, and the contracts' SQL probes (`max(loaded_at) … WHERE name = …`)
  read it through demarc's own prober.
* demarc's database is SQLite (a file) or a PostgreSQL schema; the outbox delivers over HTTP to
  a fake Slack Web API on loopback that stamps every call with the fake clock.
* `sweep`: `FreshnessService.check()` every N minutes of fake time (offset by 150 s so no sweep
  lands on a deadline at a whole minute).
* `scheduler`: bot.jobs.freshness.FreshnessScheduler itself, its APScheduler replaced by a queue on
  the fake clock (`FakeJobs`): each contract runs `run_check` (the claimed path, with a holder,
  as `serve` does) at the `next_check_at` the service computed, and re-adds itself.
  Jobs due at the same instant run before the outbox's next poll (0.5 s), as in `serve`.
  A contract asking for more than `LOOP_CAP` checks in one clock hour is flagged as a check
  loop and held until the next hour, so a loop of one check per second cannot stall the run.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.replay.world import World, write_registry
from tests.fakes.fake_slack import FakeSlack, RecordedRequest

SWEEP_OFFSET = timedelta(seconds=150)
POLL = timedelta(milliseconds=500)  # the outbox worker's poll in `serve`
PACE = timedelta(seconds=1)  # the outbox's per-channel pacing
LOOP_CAP = 12  # checks of one contract in one clock hour before the harness holds it


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, t: datetime) -> None:
        self.now = max(self.now, t)  # never backwards


@dataclass(frozen=True)
class Message:
    """One Slack call demarc made, when (fake time), and the ts it created or edited."""

    at: datetime
    method: str
    ts: str | None  # the new message's ts (postMessage) or the edited one's (update)
    thread_ts: str | None
    text: str


class StampedSlack(FakeSlack):
    """FakeSlack that notes the fake time of every accepted post and edit."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.clock = clock
        self.log: list[Message] = []
        self._log_lock = threading.Lock()

    def _answer(self, request: RecordedRequest) -> dict[str, Any]:
        answer = super()._answer(request)
        if request.method in ("chat.postMessage", "chat.update"):
            body = request.body
            ts = answer.get("ts") if request.method == "chat.postMessage" else body.get("ts")
            thread = body.get("thread_ts")
            with self._log_lock:
                self.log.append(Message(self.clock(), request.method, ts and str(ts),
                                        str(thread) if thread else None,
                                        json.dumps(body, ensure_ascii=False)))
        return answer


@dataclass
class FakeJob:
    id: str
    func: Callable[..., object]
    args: tuple[Any, ...]
    run_date: datetime
    seq: int

    def remove(self) -> None:
        self.seq = -1  # the queue skips it


class FakeJobs:
    """What FreshnessScheduler uses of APScheduler's BackgroundScheduler, on the fake clock.

    Like APScheduler's memory store, jobs run in order of run time, then job id."""

    running = True

    def __init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.queue: list[tuple[datetime, str, int]] = []
        self._seq = itertools.count()

    def add_job(self, func: Callable[..., object], trigger: str = "date", *,
                run_date: datetime, args: list[Any] | tuple[Any, ...] = (), id: str,
                replace_existing: bool = False, **_options: Any) -> FakeJob:
        """APScheduler's signature; other options (misfire grace …) mean nothing here."""
        assert trigger == "date", f"the replay only knows date triggers, not {trigger!r}"
        assert replace_existing or id not in self.jobs
        job = FakeJob(id, func, tuple(args), run_date, next(self._seq))
        self.jobs[id] = job
        heapq.heappush(self.queue, (run_date, id, job.seq))
        return job

    def get_jobs(self) -> list[FakeJob]:
        return [j for j in self.jobs.values() if j.seq >= 0]

    def peek(self) -> datetime | None:
        while self.queue:
            at, jid, seq = self.queue[0]
            job = self.jobs.get(jid)
            if job is not None and job.seq == seq:
                return at
            heapq.heappop(self.queue)
        return None

    def pop(self) -> FakeJob:
        _, jid, _ = heapq.heappop(self.queue)
        return self.jobs.pop(jid)


@dataclass(frozen=True)
class AlertSeen:
    """An alert row as first seen (its cause then) and as left at the end."""

    id: int
    contract: str
    key: str
    kind: str
    opened_at: datetime
    first_cause: int | None
    recovered_at: datetime | None


@dataclass
class Observed:
    mode: str
    interval: timedelta  # the sweep interval, or the re-check interval (scheduler)
    start: datetime
    end: datetime
    messages: list[Message] = field(default_factory=list)
    alerts: dict[int, AlertSeen] = field(default_factory=dict)
    root_ts: dict[str, int] = field(default_factory=dict)  # Slack ts of a root -> alert id
    checks: dict[str, list[datetime]] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)  # checks the harness held (loops)
    min_gap: dict[str, timedelta] = field(default_factory=dict)  # asked for, per contract
    errors: int = 0  # errors demarc logged: checks that raised, messages Slack refused
    outbox_left: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (the fake Slack's thread included)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class Warehouse:
    """The SQLite table the probes read; rows appear as the fake clock passes them."""

    def __init__(self, url: str, world: World) -> None:
        from sqlalchemy import create_engine, text

        self.engine = create_engine(url)
        self._insert = text("INSERT INTO loads (name, loaded_at) VALUES (:n, :at)")
        with self.engine.begin() as conn:
            conn.execute(text("CREATE TABLE loads (name TEXT NOT NULL, loaded_at TEXT NOT NULL)"))
            conn.execute(text("CREATE INDEX loads_name_at ON loads (name, loaded_at)"))
        self.pending = sorted((at, c) for c, ats in world.updates.items() for at in ats)
        self.next = 0

    def load_until(self, now: datetime) -> None:
        rows = []
        while self.next < len(self.pending) and self.pending[self.next][0] <= now:
            at, c = self.pending[self.next]
            rows.append({"n": c, "at": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")})
            self.next += 1
        if rows:
            with self.engine.begin() as conn:
                conn.execute(self._insert, rows)


def replay(world: World, mode: str, workdir: Path, *, sweep: timedelta,
           recheck: timedelta, database_url: str | None = None,
           days: float | None = None) -> Observed:
    """Run `world` in `mode` ("sweep" or "scheduler") for its window (or its first `days`)
    and return what demarc did."""
    import time

    from slack_sdk import WebClient
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.db.models import Alert, CheckResult, OutboxMessage, SlackRoot
    from bot.freshness.judge import Timing
    from bot.freshness.service import FreshnessService
    from bot.jobs.freshness import FreshnessScheduler
    from bot.outbox import OutboxWorker
    from bot.probes import Prober, ProbeResult
    from bot.registry.holder import RegistryHolder
    from ownership.model import Probe

    began, cpu = time.perf_counter(), time.process_time()
    registry_dir = workdir / "registry"
    write_registry(world, registry_dir)
    warehouse_url = f"sqlite:///{workdir / 'warehouse.sqlite3'}"
    warehouse = Warehouse(warehouse_url, world)
    url = database_url or f"sqlite:///{workdir / 'demarc.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    start, end = world.window.start, world.window.end
    if days is not None:
        end = min(end, start + timedelta(days=days))
    clock = FakeClock(start)
    prober = Prober({"WAREHOUSE_URL": warehouse_url})

    def probe_many(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
        return {cid: prober.probe(p) for cid, p in jobs}  # in order: one thread is faster here

    holder = RegistryHolder.from_path(registry_dir)
    service = FreshnessService(engine, lambda: holder.registry, probe_many, clock=clock,
                               timing=Timing(recheck=recheck))
    errors = _Errors()
    bot_log = logging.getLogger("bot")
    saved = bot_log.level, bot_log.propagate
    bot_log.setLevel(logging.ERROR)  # counted here, not printed: the figures tell the story
    bot_log.propagate = False
    bot_log.addHandler(errors)
    obs = Observed(mode, sweep if mode == "sweep" else recheck, start, end)
    try:
        with StampedSlack(clock) as slack:
            client = WebClient(token="xoxb-bench", base_url=slack.base_url, retry_handlers=[])
            outbox = OutboxWorker(engine, client, clock=clock)
            alerts_seen = _AlertTracker(Alert)
            queued = _Queued(OutboxMessage)
            try:
                if mode == "sweep":
                    _run_sweeps(service, outbox, warehouse, clock, sweep, end, queued)
                else:
                    scheduler = FreshnessScheduler(service, clock=clock, holder="bench-replica")
                    jobs = FakeJobs()
                    scheduler.scheduler = jobs  # type: ignore[assignment]
                    warehouse.load_until(clock())
                    scheduler.rebuild()
                    _run_scheduler(jobs, outbox, warehouse, clock, end, queued, obs)
            finally:
                alerts_seen.close()
                queued.close()
            obs.messages = list(slack.log)
        with Session(engine) as s:
            for cid, at in s.execute(select(CheckResult.contract_id, CheckResult.checked_at)
                                     .order_by(CheckResult.id)):
                obs.checks.setdefault(cid, []).append(at)
            obs.root_ts = {ts: int(key.split(":", 1)[1]) for key, ts in
                           s.execute(select(SlackRoot.key, SlackRoot.ts))
                           if key.startswith("alert:")}
            for a in s.scalars(select(Alert)):
                first = alerts_seen.first_cause.get(a.id, a.caused_by_alert_id)
                obs.alerts[a.id] = AlertSeen(a.id, a.contract_id, a.period_key, a.kind,
                                             a.opened_at, first, a.recovered_at)
        obs.outbox_left = outbox.depth(clock())[0]
    finally:
        bot_log.removeHandler(errors)
        bot_log.level, bot_log.propagate = saved
        prober.close()
        engine.dispose()
        warehouse.engine.dispose()
    obs.errors = errors.count
    obs.wall_seconds = time.perf_counter() - began
    obs.cpu_seconds = time.process_time() - cpu
    return obs


class _AlertTracker:
    """Notes each new alert's cause as its row is inserted (a promotion clears it later)."""

    def __init__(self, alert: Any) -> None:
        from sqlalchemy import event

        self.alert = alert
        self.first_cause: dict[int, int | None] = {}
        event.listen(alert, "after_insert", self._inserted)

    def _inserted(self, _mapper: Any, _connection: Any, row: Any) -> None:
        self.first_cause[row.id] = row.caused_by_alert_id

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.alert, "after_insert", self._inserted)


class _Queued:
    """Whether demarc wrote to the outbox since the last delivery round (saves a query)."""

    def __init__(self, row: Any) -> None:
        from sqlalchemy import event

        self.row, self.dirty = row, True
        event.listen(row, "after_insert", self._inserted)

    def _inserted(self, *_: Any) -> None:
        self.dirty = True

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.row, "after_insert", self._inserted)


def _deliver(outbox: Any, clock: FakeClock, queued: _Queued) -> datetime | None:
    """One outbox round now; when the next one is due (None: nothing left)."""
    queued.dirty = False
    outbox.deliver_due()
    left, _ = outbox.depth(clock())
    return clock() + PACE if left else None


def _run_sweeps(service: Any, outbox: Any, warehouse: Warehouse, clock: FakeClock,
                every: timedelta, end: datetime, queued: _Queued) -> None:
    tick = clock() + SWEEP_OFFSET
    deliver_at: datetime | None = None
    while True:
        nxt = min(tick, deliver_at) if deliver_at else tick
        if nxt > end:
            break
        clock.set(nxt)
        warehouse.load_until(clock())
        if deliver_at is not None and deliver_at <= tick:
            deliver_at = _deliver(outbox, clock, queued)
            continue
        service.check()
        tick += every
        if queued.dirty or deliver_at is not None:
            deliver_at = _deliver(outbox, clock, queued)


def _run_scheduler(jobs: FakeJobs, outbox: Any, warehouse: Warehouse, clock: FakeClock,
                   end: datetime, queued: _Queued, obs: Observed) -> None:
    deliver_at: datetime | None = None
    per_hour: dict[tuple[str, datetime], int] = {}
    last_asked: dict[str, datetime] = {}
    while True:
        job_at = jobs.peek()
        if job_at is None and deliver_at is None:
            break
        nxt = min(t for t in (job_at, deliver_at) if t is not None)
        if nxt > end:
            break
        clock.set(nxt)
        warehouse.load_until(clock())
        if job_at is None or (deliver_at is not None and deliver_at < job_at):
            deliver_at = _deliver(outbox, clock, queued)
            continue
        job = jobs.pop()
        cid = job.id.removeprefix("freshness:")
        if cid in last_asked:
            gap = job.run_date - last_asked[cid]
            obs.min_gap[cid] = min(obs.min_gap.get(cid, gap), gap)
        last_asked[cid] = job.run_date
        hour = clock().replace(minute=0, second=0, microsecond=0)
        n = per_hour.get((cid, hour), 0)
        if n >= LOOP_CAP:  # a check loop: hold it until the next clock hour
            obs.held[cid] = obs.held.get(cid, 0) + 1
            jobs.add_job(job.func, "date", run_date=hour + timedelta(hours=1),
                         args=list(job.args), id=job.id, replace_existing=True)
            continue
        per_hour[(cid, hour)] = n + 1
        job.func(*job.args)
        if deliver_at is None and queued.dirty:
            deliver_at = clock() + POLL
