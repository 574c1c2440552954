"""B4 alert storm: one upstream outage makes 1,000 downstream contracts late at once.

The registry has one upstream source (`raw_events`, Data Engineering) and 1,000 contracts
downstream of it owned by nine other teams, each with its own on-call channel. All data is a
day old, so one sweep finds all 1,001 late. The real FreshnessService sweep (real SQL probes
on a SQLite warehouse, one transaction per contract) writes the outbox; the real OutboxWorker
delivers it over real HTTP to a fake Slack that behaves like Slack under load:

* `chat.postMessage`: at most 1 message per second per channel; beyond that HTTP 429 with
  `Retry-After` (Slack's documented special limit);
* `chat.update`: at most 50 per minute for the workspace (Tier 3), beyond that 429 too;
* a section block over 3,000 characters is refused with `invalid_blocks`, as Slack does;
* the channels are not demarc's alone: after every `--busy-every`-th accepted post (default
  2nd) another app posts there too, so the channel's next second is taken and demarc's next
  message meets a 429 even though demarc paces itself at 1/s.

Time is simulated: the service, the worker's pacing and the fake's limits share one clock
that advances 0.5 s per delivery round, so the drain takes seconds of real time.
The baseline is the naive design, one root message per late contract (1,001 here).
Targets: at most 10 root messages; every late contract named in a root or its thread;
0 messages lost (every outbox row sent); no unhandled 429 (none failed, all retried).

    .venv/bin/python -m bench.b4_storm            # 1,000 downstream contracts
    .venv/bin/python -m bench.b4_storm --tiny     # 30 downstream contracts (CI)
"""

from __future__ import annotations

import collections
import json
import logging
import math
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Verdicts, parser, print_header, ratio, write
from tests.fakes.fake_slack import Failure, FakeSlack, RecordedRequest

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # past every deadline below
YESTERDAY = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
TEAMS = 9
SECTION_LIMIT = 3000


class SimClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RateLimitedSlack(FakeSlack):
    """FakeSlack with Slack's limits on a given clock (see the module docstring)."""

    def __init__(self, clock: Callable[[], float], *, per_channel: float = 1.0,
                 updates_per_minute: int = 50, busy_every: int = 0) -> None:
        super().__init__()
        self.clock = clock
        self.busy_every = busy_every
        self.posts: collections.Counter[str] = collections.Counter()
        self.per_channel = per_channel
        self.updates_per_minute = updates_per_minute
        self.free_at: dict[str, float] = {}
        self.updates: collections.deque[float] = collections.deque()
        self.accepted: list[RecordedRequest] = []
        self.rate_limited = 0
        self.invalid = 0
        self._limits = threading.Lock()

    def _record(self, request: RecordedRequest) -> Failure | None:
        failure = super()._record(request)
        if failure is not None or request.method not in ("chat.postMessage", "chat.update"):
            return failure
        now = self.clock()
        with self._limits:
            if request.method == "chat.postMessage":
                channel = self.channel_id(str(request.body.get("channel", "")))
                free = self.free_at.get(channel, -math.inf)
                if now < free:
                    self.rate_limited += 1
                    return Failure(429, None, retry_after=max(1, math.ceil(free - now)))
            else:
                while self.updates and self.updates[0] <= now - 60:
                    self.updates.popleft()
                if len(self.updates) >= self.updates_per_minute:
                    self.rate_limited += 1
                    wait = self.updates[0] + 60 - now
                    return Failure(429, None, retry_after=max(1, math.ceil(wait)))
            if _too_long(request.body):
                self.invalid += 1
                return Failure(200, "invalid_blocks")
            if request.method == "chat.postMessage":
                channel = self.channel_id(str(request.body.get("channel", "")))
                self.posts[channel] += 1
                taken = self.busy_every and self.posts[channel] % self.busy_every == 0
                # another app posts right after us: the channel's next second is used up too
                self.free_at[channel] = now + self.per_channel * (2 if taken else 1)
            else:
                self.updates.append(now)
            self.accepted.append(request)
        return None


def _too_long(body: dict[str, Any]) -> bool:
    blocks = body.get("blocks") or []
    return any(
        block.get("type") == "section"
        and len(block.get("text", {}).get("text", "")) > SECTION_LIMIT
        for block in blocks
        if isinstance(block, dict)
    )


# ---------------------------------------------------------------------- the world
def downstream_id(i: int) -> str:
    return f"feature_{i:04d}"


def write_registry(root: Path, downstream: int) -> None:
    teams = ["teams:",
             "  - id: data_engineering",
             "    name: Data Engineering",
             '    slack: {usergroup: {id: S0DATAENG}, oncall_channel: "#data-eng-oncall"}',
             "    members: [{name: Alice, slack: U0ALICE01}]",
             "    oncall: {members: [U0ALICE01], period: weekly, timezone: UTC, "
             "start: 2026-01-05}"]
    for t in range(TEAMS):
        teams += [f"  - id: team_{t}",
                  f"    name: Team {t}",
                  f'    slack: {{usergroup: {{id: S0TEAM{t:04d}}}, oncall_channel: "#team-{t}"}}',
                  f"    members: [{{name: Person {t}, slack: U0PERS{t:04d}}}]",
                  f"    oncall: {{members: [U0PERS{t:04d}], period: weekly, timezone: UTC, "
                  "start: 2026-01-05}"]
    assets = ["assets:",
              "  - {id: raw_events, kind: source, owner: data_engineering, "
              "runbook: https://wiki.example.com/raw_events}"]
    assets += [f"  - {{id: {downstream_id(i)}, kind: feature, owner: team_{i % TEAMS}, "
               "upstream: [raw_events]}" for i in range(downstream)]
    write(root / "teams.yaml", "\n".join(teams + assets) + "\n")
    write(root / "contracts" / "raw_events.yaml", contract("raw_events", "data_engineering",
                                                           "02:00"))
    for i in range(downstream):
        write(root / "contracts" / f"{downstream_id(i)}.yaml",
              contract(downstream_id(i), f"team_{i % TEAMS}", "03:00"))


def contract(name: str, owner: str, at: str) -> str:
    return (
        f"data_source: {name}\n"
        f"owner_team: {owner}\n"
        f'sla: {{update_frequency: daily, update_time: "{at} UTC", max_delay: "30 minutes"}}\n'
        "probe: {sql: {connection: WAREHOUSE_URL, table: loads, timestamp_column: loaded_at, "
        f"filter: \"name = '{name}'\"}}}}\n"
    )


def fill_warehouse(url: str, names: list[str]) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE loads (name TEXT, loaded_at TEXT)"))
        conn.execute(text("INSERT INTO loads VALUES (:n, :at)"),
                     [{"n": n, "at": YESTERDAY.isoformat()} for n in names])
    engine.dispose()


# ---------------------------------------------------------------------- the run
def run(downstream: int, step: float, max_sim: float, busy_every: int,
        verdicts: Verdicts) -> dict[str, Any]:
    from slack_sdk import WebClient
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from bot.bootstrap import build
    from bot.db.models import OutboxMessage
    from bot.registry.holder import RegistryHolder
    from bot.settings import Settings
    from ownership.sla import FreshnessState

    names = ["raw_events"] + [downstream_id(i) for i in range(downstream)]
    clock = SimClock(NOW)
    with tempfile.TemporaryDirectory(prefix="demarc-b4-") as tmp:
        root = Path(tmp) / "registry"
        write_registry(root, downstream)
        url = f"sqlite:///{Path(tmp) / 'demarc.sqlite3'}"
        fill_warehouse(url, names)
        with RateLimitedSlack(clock.seconds, busy_every=busy_every) as slack:
            client = WebClient(token="xoxb-bench", base_url=slack.base_url, retry_handlers=[])
            settings = Settings(slack_bot_token="", slack_signing_secret="", database_url=url)
            services = build(settings, slack_client=client, environ={"WAREHOUSE_URL": url},
                             clock=clock, holder=RegistryHolder.from_path(root))
            try:
                began = time.perf_counter()
                reports = services.freshness.check()
                sweep_s = time.perf_counter() - began
                late = {r.contract.id for r in reports
                        if r.evaluation.state is FreshnessState.LATE}
                with Session(services.engine) as s:
                    queued = s.scalar(select(func.count()).select_from(OutboxMessage)) or 0
                began, rounds = time.perf_counter(), 0
                while services.outbox.depth(clock())[0] and rounds * step < max_sim:
                    services.outbox.deliver_due()
                    clock.advance(step)
                    rounds += 1
                drain_s = time.perf_counter() - began
                with Session(services.engine) as s:
                    statuses = collections.Counter(s.scalars(select(OutboxMessage.status)))
                    errors = collections.Counter(s.scalars(
                        select(OutboxMessage.last_error).where(OutboxMessage.status == "failed")
                    ))
            finally:
                services.close()
            accepted = list(slack.accepted)
            rate_limited, invalid = slack.rate_limited, slack.invalid
    roots = [r for r in accepted if r.method == "chat.postMessage" and "thread_ts" not in r.body]
    replies = [r for r in accepted if r.method == "chat.postMessage" and "thread_ts" in r.body]
    updates = [r for r in accepted if r.method == "chat.update"]
    named = _named(roots, replies, updates, late)
    sim = rounds * step
    print(f"   sweep: {len(reports)} contracts checked in {sweep_s:.2f} s, {len(late)} late, "
          f"{queued} Slack calls queued")
    print(f"   drain: {sim:.0f} s simulated ({drain_s:.1f} s real), outbox {dict(statuses)}")
    print(f"   Slack accepted {len(accepted)} calls: {len(roots)} root messages, "
          f"{len(replies)} thread replies, {len(updates)} chat.update; "
          f"answered 429 {rate_limited} times, invalid_blocks {invalid} times")
    baseline = len(late)
    print(f"   naive baseline: one root per late contract = {baseline} root messages; "
          f"demarc: {len(roots)} ({ratio(baseline, len(roots)):.0f}× fewer)")
    verdicts.check(f"at most 10 root messages ({len(roots)})", len(roots) <= 10)
    missing = sorted(late - named)
    verdicts.check(f"every late contract named in a root or its thread "
                   f"({len(late) - len(missing)}/{len(late)})", not missing)
    if missing:
        print(f"      not named: {missing[:10]}")
    lost = sum(n for status, n in statuses.items() if status != "sent")
    verdicts.check(f"0 lost (outbox rows not sent: {lost})", lost == 0)
    if errors:
        print(f"   failed rows by error: {dict(errors)}")
    unhandled = sum(n for error, n in errors.items() if "ratelimited" in str(error))
    unhandled += statuses.get("pending", 0) + statuses.get("sending", 0)
    verdicts.check(f"no unhandled 429 ({rate_limited} answered; rows failed on a 429 or "
                   f"still queued: {unhandled})", unhandled == 0)
    return {"downstream": downstream, "late": len(late), "queued": queued,
            "roots": len(roots), "replies": len(replies), "updates": len(updates),
            "rate_limited": rate_limited, "invalid_blocks": invalid,
            "simulated_drain_s": sim, "sweep_s": sweep_s, "drain_real_s": drain_s,
            "outbox": dict(statuses), "not_named": len(missing)}


def _named(roots: list[RecordedRequest], replies: list[RecordedRequest],
           updates: list[RecordedRequest], late: set[str]) -> set[str]:
    """Contracts whose name (as `code`) Slack shows in a root (as posted or as last edited)
    or in a thread reply. Every reply and edit here belongs to one of the roots."""
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in (*roots, *replies, *updates)]
    blob = "\n".join(bodies)
    return {name for name in late if f"`{name}`" in blob}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--downstream", type=int, default=1000)
    p.add_argument("--step", type=float, default=0.5, help="simulated seconds per round")
    p.add_argument("--busy-every", type=int, default=2,
                   help="another app posts after every Nth of ours (0: never)")
    p.add_argument("--max-sim", type=float, default=6 * 3600.0,
                   help="give up draining after this many simulated seconds")
    args = p.parse_args(argv)
    if args.tiny:
        args.downstream = 30
    logging.disable(logging.CRITICAL)  # the worker logs each 429; the outbox rows tell all
    print_header("B4 alert storm: 1 upstream outage, N late downstream contracts, "
                 "rate-limited fake Slack", ["demarc", "slack_sdk", "sqlalchemy"])
    print(f"-- {args.downstream} downstream contracts of one late upstream")
    verdicts = Verdicts()
    result = run(args.downstream, args.step, args.max_sim, args.busy_every, verdicts)
    print("RESULTS " + json.dumps(result))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
