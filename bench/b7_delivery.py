"""B7 delivery: the real outbox worker against a fake Slack that is slow and rate limited.

Issue 16's Delivery goal. Each throughput scenario queues M messages to each of N channels
(one outbox row each, through `enqueue`), then runs the outbox job as `demarc serve` does
(`bot.jobs.schedule.deliver_outbox`: the outbox lease, a fence confirmed before every call,
a round every 0.5 s after the last one ended) on PostgreSQL, in real time, over real HTTP to
tests/fakes/fake_slack.py (in a process of its own, as Slack is) until every row is sent, by:

* **parallel**: `OutboxWorker` with the settings' defaults (DEMARC_OUTBOX_CONCURRENCY 8 calls
  in flight, DEMARC_OUTBOX_ROUND_SECONDS 4);
* **serial**: the worker as it was before (bench/b7_serial.py, frozen from main), on fewer
  messages per channel (`--serial-messages`, it is slow);
* with 100 ms latency also **parallel16**: DEMARC_OUTBOX_CONCURRENCY=16.

Scenarios: no limit (against the floor: the same calls from 8 bare threads, no database);
Slack's 1 message per second per channel (a faster post or edit gets 429 + Retry-After;
the fake lets a call 50 ms early pass, Slack's burst allowance in miniature); the same with
every answer taking 100 ms. Under a limit the ceiling is the allowed rate for the workload:
N·M messages cannot take less than (M−1) s + the latency, so `of allowed` = that / elapsed.

The edit storm runs on a simulated clock (SQLite: what it measures is simulated time, not
speed): C contracts late independently, each with its own alert across 10 channels; every
10-minute re-check queues one edit per alert (~1,000), Slack allows 1 call per second per
channel and 50 `chat.update` per minute for the workspace (Tier 3), and 30 s into each cycle
a new alert is raised. It reports how long the new alert waited and the backlog (rows still
pending) at the end of each cycle, for both workers.

Targets: parallel ≥ 80% of the allowed rate (≥ 40 msg/s) with 100 ms latency across 50
channels; 0 lost; Retry-After honoured (no call to a channel before its Retry-After ran out);
in the storm a new alert waits ≤ 5 s and the backlog does not grow cycle over cycle.

    .venv/bin/python -m bench.b7_delivery            # 50 channels × 10 messages; 1,001 alerts
    .venv/bin/python -m bench.b7_delivery --tiny     # 5 channels × 3; 60 alerts, 2 cycles
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import REPO, Verdicts, parser, pg_url, print_header
from tests.fakes.fake_slack import FakeSlack

POST, UPDATE = "chat.postMessage", "chat.update"
TOLERANCE = 0.05  # seconds early a call may come and still pass the fake's channel limit
ROUND_GAP = 0.5  # bot.jobs.schedule.OUTBOX_EVERY: the pause between two rounds


@dataclass(frozen=True)
class Scenario:
    name: str
    latency: float
    per_channel: float | None


SCENARIOS = (
    Scenario("no limit", 0.0, None),
    Scenario("1 msg/s/channel", 0.0, 1.0),
    Scenario("1 msg/s/channel, 100 ms latency", 0.1, 1.0),
)


# ---------------------------------------------------------------------- Slack, elsewhere
@dataclass(frozen=True)
class Seen:
    """A post or edit as the fake Slack saw it (arrival on the shared monotonic clock)."""

    method: str
    channel: str
    at: float


class RemoteSlack:
    """tests/fakes/fake_slack.py in a process of its own, as Slack is: its HTTP handling does
    not compete with the worker for this process's interpreter lock."""

    def __init__(self, latency: float = 0.0, per_channel: float | None = None) -> None:
        self._argv = [sys.executable, "-m", "bench.b7_delivery", "--serve-slack",
                      str(latency), str(per_channel or 0)]
        self.requests: list[Seen] = []
        self.limited: list[tuple[Seen, float]] = []

    def __enter__(self) -> RemoteSlack:
        self._process = subprocess.Popen(self._argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True, cwd=REPO)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self._process.communicate("stop\n", timeout=60)
        seen = json.loads(out.strip().splitlines()[-1])
        self.requests = [Seen(*r) for r in seen["requests"]]
        self.limited = [(Seen(*r), wait) for *r, wait in seen["limited"]]


def serve_slack(latency: float, per_channel: float) -> None:
    """The other end of `RemoteSlack`: serve until told to stop, then say what was seen."""
    with FakeSlack(latency=latency, per_channel=per_channel or None,
                   tolerance=TOLERANCE) as slack:
        print(slack.base_url, flush=True)
        sys.stdin.readline()
        requests = [[r.method, str(r.body.get("channel")), r.at] for r in slack.requests
                    if r.method in (POST, UPDATE)]
        limited = [[r.method, str(r.body.get("channel")), r.at, wait]
                   for r, wait in slack.limited]
    print(json.dumps({"requests": requests, "limited": limited}), flush=True)


# ---------------------------------------------------------------------- databases
@contextmanager
def postgres() -> Iterator[str]:
    """A fresh schema of its own, migrated; its SQLAlchemy URL."""
    import psycopg

    base = pg_url()
    schema = f"demarc_bench_b7_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield migrated(f"{url}{sep}options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="demarc-b7-") as tmp:
        yield migrated(f"sqlite:///{Path(tmp) / 'demarc.sqlite3'}")


def migrated(url: str) -> str:
    from bot.db.migrate import upgrade

    upgrade(url)
    return url


def queue(engine: Any, rows: list[dict[str, Any]], now: datetime) -> None:
    from sqlalchemy.orm import Session

    from bot.outbox import enqueue

    with Session(engine) as session, session.begin():
        for row in rows:
            enqueue(session, now=now, **row)


def channel(i: int) -> str:
    return f"C0BENCH{i:03d}"


# ---------------------------------------------------------------------- workers
def make_worker(kind: str, engine: Any, client: Any, clock: Callable[[], datetime],
                **options: Any) -> Any:
    from bench.b7_serial import SerialOutboxWorker
    from bot.outbox import OutboxWorker
    from bot.settings import Settings

    if kind == "serial":
        options.pop("round_budget", None)
        options.pop("sleep", None)
        return SerialOutboxWorker(engine, client, clock=clock, **options)
    defaults = Settings(slack_bot_token="", slack_signing_secret="")
    if kind == "parallel16":
        options["concurrency"] = 16  # DEMARC_OUTBOX_CONCURRENCY=16
    options.setdefault("concurrency", defaults.outbox_concurrency)
    options.setdefault("round_budget", defaults.outbox_round)
    return OutboxWorker(engine, client, clock=clock, **options)


def client_for(slack: FakeSlack) -> Any:
    from slack_sdk import WebClient

    return WebClient(token="xoxb-bench", base_url=slack.base_url, retry_handlers=[])


# ---------------------------------------------------------------------- throughput
def throughput(kind: str, scenario: Scenario, channels: int, messages: int,
               database: Callable[[], Any]) -> dict[str, Any]:
    """Deliver channels × messages rows in real time as `demarc serve` would; the figures."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from bot.db.engine import make_engine
    from bot.db.leases import LeaseKeeper
    from bot.db.models import OutboxMessage
    from bot.jobs.schedule import deliver_outbox

    def utc_now() -> datetime:
        return datetime.now(UTC)

    with database() as url, RemoteSlack(scenario.latency, scenario.per_channel) as slack:
        engine = make_engine(url)
        queue(engine, [{"method": POST, "channel": channel(c), "payload": {"text": f"{c}/{m}"}}
                       for m in range(messages) for c in range(channels)], utc_now())
        interval = timedelta(seconds=scenario.per_channel or 0)  # no limit: no pacing either
        worker = make_worker(kind, engine, client_for(slack), utc_now,
                             per_channel_interval=interval)
        lease = LeaseKeeper(engine, "outbox", f"bench-{kind}")
        job = deliver_outbox(worker, lease)
        began = time.monotonic()
        deadline = began + 600
        while worker.depth(utc_now())[0] and time.monotonic() < deadline:
            job()
            time.sleep(ROUND_GAP)
        with Session(engine) as session:
            sent = session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
        if hasattr(worker, "close"):
            worker.close()
        engine.dispose()
    arrivals = [r.at for r in slack.requests if r.method == POST] or [began]
    elapsed = max(arrivals) + scenario.latency - began  # until the last answer
    early, limited = early_calls(slack), len(slack.limited)
    total = channels * messages
    rate = total / elapsed
    result: dict[str, Any] = {"worker": kind, "scenario": scenario.name, "channels": channels,
                              "messages": total, "sent": sent, "elapsed_s": round(elapsed, 2),
                              "msg_per_s": round(rate, 1), "answered_429": limited,
                              "calls_before_retry_after": early}
    if scenario.per_channel is not None:
        ideal = (messages - 1) * scenario.per_channel + scenario.latency
        result["allowed_msg_per_s"] = round(total / ideal, 1)
        result["of_allowed"] = round(ideal / elapsed, 3)
    return result


def early_calls(slack: RemoteSlack) -> int:
    """Calls to a channel that came before the Retry-After Slack gave it had run out."""
    early = 0
    for refused, wait in slack.limited:
        until = refused.at + max(1, wait) - TOLERANCE
        early += sum(1 for r in slack.requests
                     if r.channel == refused.channel and refused.at < r.at < until
                     and r.method == refused.method)
    return early


def floor(channels: int, messages: int, threads: int) -> dict[str, Any]:
    """The same posts from `threads` bare threads, no database, no limit: the fake's pace."""
    with RemoteSlack() as slack:
        client = client_for(slack)
        began = time.monotonic()

        def send(c: int) -> None:
            for m in range(messages):
                client.chat_postMessage(channel=channel(c), text=f"{c}/{m}")

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(send, range(channels)))
        elapsed = time.monotonic() - began
    total = channels * messages
    return {"worker": "floor", "scenario": "no limit", "messages": total,
            "elapsed_s": round(elapsed, 2), "msg_per_s": round(total / elapsed, 1)}


# ---------------------------------------------------------------------- the edit storm
class SimClock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def seconds(self) -> float:
        return self().timestamp()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


def storm(kind: str, contracts: int, cycles: int, cycle: float = 600.0, channels: int = 10
          ) -> dict[str, Any]:
    """Simulated: `contracts` alerts, one edit each per 10-minute re-check, a new alert 30 s
    into each cycle; its wait and the backlog at each cycle's end."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from bot.db.engine import make_engine
    from bot.db.models import OutboxMessage

    start = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    clock = SimClock(start)
    with sqlite() as url, FakeSlack(per_channel=1.0, updates_per_minute=50,
                                    clock=clock.seconds) as slack:
        engine = make_engine(url)
        worker = make_worker(kind, engine, client_for(slack), clock, sleep=clock.advance)
        queue(engine, [{"method": POST, "channel": channel(i % channels), "root_key": f"a{i}",
                        "is_root": True, "payload": {"text": f"alert {i} late"}}
                       for i in range(contracts)], clock())
        waits: list[float] = []
        backlog: list[int] = []
        superseded: list[int] = []
        edits: list[int] = []

        def count(status: str) -> int:
            with Session(engine) as session:
                return int(session.scalar(select(func.count()).where(
                    OutboxMessage.status == status)) or 0)

        def run_until(at: datetime) -> None:
            while clock() < at:
                worker.deliver_due()
                clock.advance(ROUND_GAP)

        for k in range(cycles):
            cycle_start = start + timedelta(seconds=cycle * (k + 1))
            run_until(cycle_start)
            queue(engine, [{"method": UPDATE, "channel": channel(i % channels),
                            "root_key": f"a{i}",
                            "payload": {"text": f"alert {i} late, re-check {k + 1}"}}
                           for i in range(contracts)], clock())
            run_until(cycle_start + timedelta(seconds=30))
            raised, text = clock(), f"NEW alert {k + 1}"
            queue(engine, [{"method": POST, "channel": channel(0), "root_key": f"new{k}",
                            "is_root": True, "payload": {"text": text}}], raised)
            run_until(cycle_start + timedelta(seconds=cycle))
            arrived = [r.at for r in slack.allowed if r.body.get("text") == text]
            waits.append(round(arrived[0] - raised.timestamp(), 1) if arrived else cycle)
            backlog.append(count("pending"))
            superseded.append(count("superseded"))
            edits.append(sum(1 for r in slack.allowed if r.method == UPDATE))
        lost = count("failed") + count("dead")
        if hasattr(worker, "close"):
            worker.close()
        engine.dispose()
    return {"worker": kind, "contracts": contracts, "cycles": cycles,
            "new_alert_wait_s": waits, "backlog_at_cycle_end": backlog,
            "superseded_total": superseded, "edits_sent_total": edits, "lost": lost}


# ---------------------------------------------------------------------- the run
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-slack"]:
        serve_slack(float(argv[1]), float(argv[2]))
        return 0
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--channels", type=int, default=50)
    p.add_argument("--messages", type=int, default=10, help="per channel (parallel)")
    p.add_argument("--serial-messages", type=int, default=3,
                   help="per channel for the serial worker (it is slow)")
    p.add_argument("--contracts", type=int, default=1001, help="edit storm: late alerts")
    p.add_argument("--cycles", type=int, default=3, help="edit storm: re-checks")
    p.add_argument("--recheck", type=float, default=600.0, help="edit storm: seconds between")
    p.add_argument("--sqlite", action="store_true", help="throughput on SQLite, not PostgreSQL")
    args = p.parse_args(argv)
    if args.tiny:
        args.channels, args.messages, args.serial_messages = 5, 3, 2
        args.contracts, args.cycles, args.recheck = 60, 2, 120.0
    logging.disable(logging.CRITICAL)  # the workers log each 429; the figures tell all
    print_header("B7 delivery: the outbox worker against a slow, rate-limited fake Slack",
                 ["demarc", "slack_sdk", "sqlalchemy"])
    database = sqlite if args.sqlite else postgres
    verdicts = Verdicts()
    results: list[dict[str, Any]] = []

    def show(r: dict[str, Any]) -> None:
        extra = (f", {r['of_allowed']:.0%} of allowed ({r['allowed_msg_per_s']} msg/s)"
                 if "of_allowed" in r else "")
        limits = (f"; 429 ×{r['answered_429']}, calls before Retry-After "
                  f"{r['calls_before_retry_after']}" if "answered_429" in r else "")
        print(f"   {r['worker']:10} {r['messages']:5} messages in {r['elapsed_s']:6.2f} s = "
              f"{r['msg_per_s']:6.1f} msg/s{extra}{limits}")
        sys.stdout.flush()
        results.append(r)

    for scenario in SCENARIOS:
        print(f"-- {scenario.name}: {args.channels} channels × {args.messages} messages")
        par = throughput("parallel", scenario, args.channels, args.messages, database)
        show(par)
        slow = scenario.latency > 0
        ser = throughput("serial", scenario, args.channels, args.serial_messages, database)
        show(ser)
        if slow:  # what a bigger pool buys when Slack is slow (and the machine busy)
            show(throughput("parallel16", scenario, args.channels, args.messages, database))
        print(f"   parallel / serial = {par['msg_per_s'] / ser['msg_per_s']:.1f}×")
        if scenario.per_channel is None:
            base = floor(args.channels, args.messages, 8)
            show(base)
            print(f"   parallel / floor = {par['msg_per_s'] / base['msg_per_s']:.2f}")
        for r in (par, ser):
            verdicts.check(f"{r['worker']}, {scenario.name}: 0 lost "
                           f"({r['sent']}/{r['messages']} sent)", r["sent"] == r["messages"])
        if scenario.per_channel is not None:
            verdicts.check(f"{scenario.name}: Retry-After honoured (calls before it ran out: "
                           f"{par['calls_before_retry_after']})",
                           par["calls_before_retry_after"] == 0)
        if slow:
            slack_rate = args.channels / 1.0  # Slack allows 1 message/s in each channel
            verdicts.check(f"parallel with 100 ms latency ≥ 80% of Slack's {slack_rate:.0f} "
                           f"msg/s ({par['msg_per_s']} msg/s = "
                           f"{par['msg_per_s'] / slack_rate:.0%})",
                           par["msg_per_s"] >= 0.8 * slack_rate)
            verdicts.check(f"parallel with 100 ms latency ≥ 80% of this workload's ceiling "
                           f"({par['of_allowed']:.0%} of {par['allowed_msg_per_s']} msg/s)",
                           par["of_allowed"] >= 0.8)

    print(f"-- edit storm: {args.contracts} alerts over 10 channels, one edit each per "
          f"re-check every {args.recheck:.0f} s, {args.cycles} cycles (simulated), "
          "50 chat.update/min")
    storms = {}
    for kind in ("parallel", "serial"):
        s = storm(kind, args.contracts, args.cycles, args.recheck)
        storms[kind] = s
        results.append({"storm": s})
        print(f"   {kind:8} new alert waited {s['new_alert_wait_s']} s; backlog at cycle end "
              f"{s['backlog_at_cycle_end']}; edits sent {s['edits_sent_total']}, superseded "
              f"{s['superseded_total']} (running totals); lost {s['lost']}")
        sys.stdout.flush()
    s = storms["parallel"]
    verdicts.check(f"storm: a new alert waits ≤ 5 s (worst {max(s['new_alert_wait_s'])} s)",
                   max(s["new_alert_wait_s"]) <= 5)
    growth = s["backlog_at_cycle_end"][-1] - s["backlog_at_cycle_end"][min(1, args.cycles - 1)]
    verdicts.check(f"storm: the backlog does not grow cycle over cycle "
                   f"({s['backlog_at_cycle_end']})", growth <= 0.05 * args.contracts)
    verdicts.check(f"storm: 0 lost ({s['lost']} failed or dead)", s["lost"] == 0)
    print("RESULTS " + json.dumps(results))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
