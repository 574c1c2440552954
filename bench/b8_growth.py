"""B8 growth and retention: what a month of 5,000 contracts checked every 5 minutes costs.

Issue 16's growth model, measured: the real `FreshnessService.check()` with its database
bookkeeping (check rows, status, alerts, outbox) on PostgreSQL, on a fake clock advanced 5
minutes per sweep, probes faked (B6 measures probing; this is about what stays behind):

* history seeded fast (`generate_series`) to `--seed-rows` check rows (5M: ~3.5 days) and a
  share of delivered outbox rows, older than the sweeps;
* (a) `/metrics` at that size: the old full-scan collector (`bench.metrics_scan`, the peer)
  and the incremental one, interleaved, medians, and their values compared;
* (b) growth without pruning: `--sweeps` sweeps; rows and bytes (pg_total_relation_size) per
  sweep, CPU per check (this process, and the PostgreSQL backends it used, from /proc);
* (c) the retention job on the seeded history: the daily rollup (seconds and CPU per day of
  5,000 contracts) and pruning (rows per second, CPU per row), bounded by `--prune-seconds`;
* (d) growth with pruning: the same sweeps, the retention job after each one.

Then the model: rows, bytes and CPU per day extrapolated ×288 sweeps from (b), and the steady
state with the default retention (30 days of checks, 7 of delivered outbox rows).
Targets (issue 16): /metrics < 50 ms at 5M check rows; its values equal the full scan's.

    .venv/bin/python -m bench.b8_growth                  # 5,000 contracts, 5M rows
    .venv/bin/python -m bench.b8_growth --tiny           # 30 contracts, 20k rows (CI)
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from bench.common import TEAMS_YAML, Verdicts, parser, pg_url, print_header, ratio, write

T0 = datetime(2026, 11, 4, 0, 2, tzinfo=UTC)  # the sweeps start here; history before it
SWEEP = timedelta(minutes=5)
PER_DAY = int(timedelta(days=1) / SWEEP)  # 288 sweeps a day
APP = f"demarc_b8_{os.getpid()}"
TABLES = ("check_results", "outbox", "alerts", "contract_status", "check_rollups",
          "metric_totals")
TICK = os.sysconf("SC_CLK_TCK")


def names(n: int) -> list[str]:
    return [f"t{i:05d}" for i in range(n)]


def stale(i: int) -> bool:
    """Late all along: every 100th contract (an open alert each, re-checked, edited)."""
    return i % 100 == 7


def episodic(i: int) -> bool:
    """Late for two sweeps of each measured stretch, then recovered: 2% of the contracts.
    The model counts one such episode per contract of this 2% a day."""
    return i % 50 == 3


EPISODE_SHARE = 0.02


def write_registry(root: Path, n: int) -> None:
    assets = ["assets:"] + [f"  - {{id: {t}, kind: table, owner: data_engineering}}"
                            for t in names(n)]
    write(root / "teams.yaml", TEAMS_YAML + "\n".join(assets) + "\n")
    for t in names(n):
        write(root / "contracts" / f"{t}.yaml",
              f"data_source: {t}\nowner_team: data_engineering\nconsumer_teams: [mlops_churn]\n"
              'freshness: {warn_after: "12 hours", error_after: "24 hours"}\n'
              f"probe: {{sql: {{connection: BENCH_PG_URL, table: {t}, "
              "timestamp_column: updated_at}}\n")


@dataclass
class Schema:
    url: str  # SQLAlchemy, search_path and application_name set
    conn: psycopg.Connection[Any]  # autocommit, same schema: sizes, seeding
    drop: Callable[[], None]


def demarc_schema() -> Schema:
    base = pg_url()
    schema = f"demarc_bench_b8_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(base, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    admin.execute(f'SET search_path TO "{schema}"')

    def drop() -> None:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()

    sep = "&" if "?" in base else "?"
    url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    return Schema(f"{url}{sep}options=-csearch_path%3D{schema}&application_name={APP}",
                  admin, drop)


# ---------------------------------------------------------------------- measuring
def sizes(conn: psycopg.Connection[Any]) -> dict[str, tuple[int, int]]:
    """(rows, bytes with indexes and TOAST) per demarc table."""
    out = {}
    for table in TABLES:
        row = conn.execute(
            f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}"
        ).fetchone()
        assert row is not None
        out[table] = (int(row[0]), int(row[1]))
    return out


def backend_cpu(conn: psycopg.Connection[Any]) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend of this benchmark's engine (same host only)."""
    pids = [r[0] for r in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP,))]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


@dataclass
class Cpu:
    """Process and database CPU over a stretch of work."""

    conn: psycopg.Connection[Any]

    def __enter__(self) -> Cpu:
        self.wall0, self.proc0 = time.perf_counter(), time.process_time()
        self.db0 = backend_cpu(self.conn)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.proc = time.process_time() - self.proc0
        db1 = backend_cpu(self.conn)
        self.db = sum(v - self.db0.get(pid, 0.0) for pid, v in db1.items())


# ---------------------------------------------------------------------- seeding
def seed(conn: psycopg.Connection[Any], n: int, rows: int) -> float:
    """`rows` check rows of `n` contracts every 5 minutes up to T0, and one delivered outbox
    row per 50 of them; seconds taken."""
    began = time.perf_counter()
    sweeps = rows // n
    # Building the indexes once afterwards is several times faster than maintaining them.
    indexes = [r[0] for r in conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = 'check_results' AND indexname LIKE 'ix_%'")]
    conn.execute("SET maintenance_work_mem = '256MB'")
    for name in [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'check_results' AND indexname LIKE 'ix_%'")]:
        conn.execute(f'DROP INDEX "{name}"')
    step = 1_000_000
    for start in range(0, sweeps * n, step):
        conn.execute(
            """
            INSERT INTO check_results (contract_id, checked_at, state, period_key, last_update,
                                       late_by_seconds, error, duration_ms)
            SELECT 't' || lpad((g %% %(n)s)::text, 5, '0'), at,
                   CASE WHEN g %% %(n)s %% 100 = 7 THEN 'late' ELSE 'on_time' END,
                   'age:' || to_char(at - interval '3 minutes', 'YYYY-MM-DD"T"HH24:MI:SS'),
                   at - interval '3 minutes', NULL, NULL, 3
            FROM (SELECT g, %(t0)s::timestamptz
                            - (%(sweeps)s::bigint - g / %(n)s::bigint) * interval '5 minutes' AS at
                  FROM generate_series(%(a)s::bigint, %(b)s::bigint) g) s
            """,
            {"n": n, "t0": T0, "sweeps": sweeps, "a": start,
             "b": min(start + step, sweeps * n) - 1},
        )
    for definition in indexes:
        conn.execute(definition)
    conn.execute(
        """
        INSERT INTO outbox (created_at, method, channel, payload, is_root, in_thread, status,
                            attempts, next_attempt_at, sent_at, ts, priority, failures)
        SELECT at, 'chat.update', '#data-eng-oncall', '{"text": "late"}', false, false, 'sent',
               1, at, at, '1700000000.000100', 10, 0
        FROM (SELECT %(t0)s::timestamptz - g * interval '5 minutes' * 50 / %(n)s AS at
              FROM generate_series(1, %(m)s::bigint) g) s
        """,
        {"t0": T0, "n": n, "m": rows // 50},
    )
    conn.execute("ANALYZE")
    return time.perf_counter() - began


# ---------------------------------------------------------------------- the run
def run(n: int, seed_rows: int, sweeps: int, rounds: int, prune_seconds: float,
        verdicts: Verdicts) -> dict[str, Any]:
    from bench.metrics_scan import render_full_scan
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.freshness.service import FreshnessService
    from bot.ops.metrics import Metrics
    from bot.ops.retention import RetentionJob, RetentionPolicy
    from bot.ops.totals import fold
    from bot.probes import ProbeResult
    from bot.registry.holder import RegistryHolder
    from ownership.model import Probe

    db = demarc_schema()
    out: dict[str, Any] = {"contracts": n}
    try:
        upgrade(db.url)
        engine = make_engine(db.url)
        with tempfile.TemporaryDirectory(prefix="demarc-b8-") as tmp:
            write_registry(Path(tmp) / "registry", n)
            registry = RegistryHolder.from_path(Path(tmp) / "registry").registry
        index = {t: i for i, t in enumerate(names(n))}
        clock = [T0]
        late_now: set[int] = set()  # episodic contracts late this sweep

        def probe_many(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
            now = clock[0]
            return {cid: ProbeResult(  # a late table's newest row stays where it is
                last_update=T0 - timedelta(days=3)
                if stale(index[cid]) or index[cid] in late_now else now - SWEEP / 2,
                duration=timedelta(milliseconds=3)) for cid, _ in jobs}

        service = FreshnessService(engine, lambda: registry, probe_many, clock=lambda: clock[0])

        out["seed_s"] = seed(db.conn, n, seed_rows)
        seeded = sizes(db.conn)
        out["seeded"] = seeded
        print(f"-- {n} contracts; seeded {seeded['check_results'][0]:,} check rows "
              f"({seeded['check_results'][1] / 2**20:.0f} MiB) and "
              f"{seeded['outbox'][0]:,} delivered outbox rows in {out['seed_s']:.0f} s")
        sys.stdout.flush()

        # (a) /metrics at the seeded size
        metrics = Metrics(engine, lambda: clock[0])
        t0 = time.perf_counter()
        metrics.render()
        unfolded = time.perf_counter() - t0
        with Cpu(db.conn) as fold_cpu:  # the first folds after an upgrade: once
            for _ in range(seed_rows // 400_000 + 5):
                with Session(engine) as session, session.begin():
                    fold(session)
                if _check_mark(db.conn) >= _newest(db.conn):
                    break
        scrape: dict[str, list[float]] = {"full_scan": [], "incremental": []}
        cpu = {"full_scan": 0.0, "incremental": 0.0}  # this process + PostgreSQL, per scrape
        for _ in range(rounds):
            for kind, render in (("full_scan", lambda: render_full_scan(engine)),
                                 ("incremental", metrics.render)):
                with Cpu(db.conn) as used:
                    render()
                scrape[kind].append(used.wall)
                cpu[kind] += (used.proc + used.db) / rounds
        same = _values(render_full_scan(engine, lambda: clock[0])) == _values(metrics.render())
        med = {k: statistics.median(v) for k, v in scrape.items()}
        out["metrics"] = {"median_s": med, "rounds_s": scrape, "cpu_s": cpu,
                          "first_unfolded_s": unfolded,
                          "fold_wall_s": fold_cpu.wall, "identical": same}
        print(f"   /metrics at {seeded['check_results'][0]:,} check rows, medians of {rounds}: "
              f"full scan {med['full_scan'] * 1e3:.1f} ms, incremental "
              f"{med['incremental'] * 1e3:.2f} ms "
              f"({ratio(med['full_scan'], med['incremental']):.0f}× faster; CPU per scrape "
              f"{cpu['full_scan'] * 1e3:.0f} ms vs {cpu['incremental'] * 1e3:.1f} ms); the first "
              f"scrape before any fold {unfolded * 1e3:.0f} ms, the first folds "
              f"{fold_cpu.wall:.1f} s; "
              f"values identical: {same}")
        verdicts.check(f"/metrics < 50 ms at {seeded['check_results'][0]:,} check rows "
                       f"({med['incremental'] * 1e3:.2f} ms)", med["incremental"] < 0.05)
        verdicts.check("/metrics values equal the full scan's", same)

        # (b) growth without pruning
        clock[0] = T0
        service.check()  # the first sweep creates every contract's status: not growth
        episode = {i for i in range(n) if episodic(i)}
        out["without"] = _sweeps(db, service, clock, sweeps, None, n, late_now, episode)
        _print_growth("without pruning", out["without"], n)

        # (c) the retention job on the seeded history
        job = RetentionJob(engine, clock=lambda: clock[0],
                           policy=RetentionPolicy(budget_seconds=0.0))
        rolled: list[Any] = []
        with Cpu(db.conn) as roll:  # every ended day, before any pruning is timed
            while more := job.run(None).rolled:
                rolled += more
        job.policy = RetentionPolicy(checks=timedelta(days=1), outbox=timedelta(days=1),
                                     budget_seconds=prune_seconds)
        with Cpu(db.conn) as prune:
            pruned = job.run(None)
        out["rollup"] = {"days": len(rolled), "wall_s": roll.wall, "proc_s": roll.proc,
                         "db_s": roll.db}
        deleted = pruned.checks_pruned + pruned.outbox_pruned
        out["prune"] = {"checks": pruned.checks_pruned, "outbox": pruned.outbox_pruned,
                        "batches": pruned.batches, "wall_s": prune.wall, "proc_s": prune.proc,
                        "db_s": prune.db}
        per_day = max(len(rolled), 1)
        print(f"   rollup: {len(rolled)} days of {n} contracts in {roll.wall:.1f} s "
              f"({roll.wall / per_day:.2f} s, CPU {roll.proc / per_day:.2f} s here + "
              f"{roll.db / per_day:.2f} s PostgreSQL per day)")
        print(f"   pruning: {pruned.checks_pruned:,} check and {pruned.outbox_pruned:,} outbox "
              f"rows in {pruned.batches} batches, {prune.wall:.1f} s "
              f"({deleted / max(prune.wall, 1e-9):,.0f} rows/s; CPU "
              f"{(prune.proc + prune.db) / max(deleted, 1) * 1e6:.1f} µs per row)")
        sys.stdout.flush()

        # (d) growth with pruning: the job after each sweep (it runs every minute in serve)
        job.policy = RetentionPolicy(checks=timedelta(days=1), outbox=timedelta(days=1),
                                     budget_seconds=prune_seconds / max(sweeps, 1))
        out["with"] = _sweeps(db, service, clock, sweeps, job, n, late_now, episode)
        _print_growth("with pruning", out["with"], n)
        out["model"] = model(out, n)
        _print_model(out["model"])
        engine.dispose()
    finally:
        db.drop()
    return out


def _check_mark(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT value FROM metric_totals WHERE name = 'mark' AND label = 'check_results'"
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _newest(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT max(id) FROM check_results").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _values(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(body.decode()) for s in f.samples
            if not s.name.endswith("_created")
            and not s.name.startswith(("demarc_http", *SLA_FAMILIES))}


# The SLA families (issue 14) read the rollups, not the history, and the old full-scan
# collector has none: they are compared in tests/integration/test_sla_metrics.py instead.
SLA_FAMILIES = ("demarc_sla_", "demarc_alert_mttr", "demarc_incident_mtt")


def _sweeps(db: Schema, service: Any, clock: list[datetime], sweeps: int, job: Any,
            n: int, late_now: set[int], episode: set[int]) -> dict[str, Any]:
    """`sweeps` sweeps; the episodic contracts are late in the second and third."""
    before = sizes(db.conn)
    with Cpu(db.conn) as sweep_cpu:
        job_cpu = 0.0
        for k in range(sweeps):
            clock[0] += SWEEP
            late_now.clear()
            if k in (1, 2):
                late_now.update(episode)
            service.check()
            if job is not None:
                t0 = time.process_time()
                job.run(None)
                job_cpu += time.process_time() - t0
    after = sizes(db.conn)
    delta = {t: (after[t][0] - before[t][0], after[t][1] - before[t][1]) for t in TABLES}
    checks = sweeps * n
    return {"sweeps": sweeps, "episodes": len(episode), "delta": delta, "after": after,
            "wall_s": sweep_cpu.wall,
            "proc_s": sweep_cpu.proc, "db_s": sweep_cpu.db, "job_proc_s": job_cpu,
            "cpu_per_check_us": (sweep_cpu.proc + sweep_cpu.db) / checks * 1e6}


def _print_growth(label: str, res: dict[str, Any], n: int) -> None:
    s = res["sweeps"]
    d = res["delta"]
    print(f"   {s} sweeps {label}: {res['wall_s']:.1f} s; per sweep "
          f"{d['check_results'][0] / s:+,.0f} check rows net "
          f"({d['check_results'][1] / s / 1024:+,.0f} KiB), {d['outbox'][0] / s:,.1f} outbox "
          f"rows, {d['alerts'][0] / s:,.1f} alerts; CPU "
          f"per check {res['cpu_per_check_us']:.0f} µs ({res['proc_s'] / s / n * 1e6:.0f} here + "
          f"{res['db_s'] / s / n * 1e6:.0f} PostgreSQL); check rows now "
          f"{res['after']['check_results'][0]:,}")
    sys.stdout.flush()


def model(out: dict[str, Any], n: int) -> dict[str, Any]:
    """Per day (×288 sweeps, from the sweeps without pruning) and the steady state."""
    grow = out["without"]
    s = grow["sweeps"]
    seeded_rows, seeded_bytes = out["seeded"]["check_results"]
    row_bytes = seeded_bytes / max(seeded_rows, 1)
    measured_bytes = grow["delta"]["check_results"][1] / max(grow["delta"]["check_results"][0], 1)
    checks_day = grow["delta"]["check_results"][0] / s * PER_DAY
    # outbox rows and alerts come from late episodes (the stale ones' alerts exist already)
    episodes_day = n * EPISODE_SHARE
    per_episode = grow["delta"]["outbox"][0] / max(grow["episodes"], 1)
    outbox_day = per_episode * episodes_day
    outbox_bytes = out["seeded"]["outbox"][1] / max(out["seeded"]["outbox"][0], 1)
    cpu_day = (grow["proc_s"] + grow["db_s"]) / s * PER_DAY
    roll = out["rollup"]
    roll_day = (roll["proc_s"] + roll["db_s"]) / max(roll["days"], 1)
    prune = out["prune"]
    deleted = prune["checks"] + prune["outbox"]
    prune_row = (prune["proc_s"] + prune["db_s"]) / max(deleted, 1)
    rollup_row_bytes = 120  # PostgreSQL heap + primary key and day index per row (measured)
    if out["with"]["after"]["check_rollups"][0]:
        rollup_row_bytes = (out["with"]["after"]["check_rollups"][1]
                            / out["with"]["after"]["check_rollups"][0])
    return {
        "check_rows_per_day": checks_day,
        "check_bytes_per_row": row_bytes,
        "check_bytes_per_row_sweeps": measured_bytes,
        "check_bytes_per_day": checks_day * row_bytes,
        "outbox_rows_per_episode": per_episode,
        "alerts_per_episode": grow["delta"]["alerts"][0] / max(grow["episodes"], 1),
        "episodes_per_day": episodes_day,
        "outbox_rows_per_day": outbox_day,
        "outbox_bytes_per_day": outbox_day * outbox_bytes,
        "bookkeeping_cpu_s_per_day": cpu_day,
        "month_without_retention_bytes": 30 * (checks_day * row_bytes + outbox_day * outbox_bytes),
        "steady_30d_check_bytes": 30 * checks_day * row_bytes,
        "steady_7d_check_bytes": 7 * checks_day * row_bytes,
        "rollup_cpu_s_per_day": roll_day,
        "prune_cpu_s_per_day": (checks_day + outbox_day) * prune_row,
        "rollup_bytes_per_day": n * rollup_row_bytes,
    }


def _print_model(m: dict[str, Any]) -> None:
    gib = 2**30
    print(f"   model, per day: {m['check_rows_per_day']:,.0f} check rows × "
          f"{m['check_bytes_per_row']:.0f} B (table + indexes; "
          f"{m['check_bytes_per_row_sweeps']:.0f} B in the sweeps) = "
          f"{m['check_bytes_per_day'] / gib:.2f} GiB, "
          f"{m['outbox_rows_per_day']:,.0f} outbox rows ({m['episodes_per_day']:.0f} late "
          f"episodes × {m['outbox_rows_per_episode']:.1f} messages, "
          f"{m['alerts_per_episode']:.1f} alert each) "
          f"({m['outbox_bytes_per_day'] / 2**20:.1f} MiB); bookkeeping CPU "
          f"{m['bookkeeping_cpu_s_per_day'] / 60:.1f} min")
    print(f"   a month without retention: {m['month_without_retention_bytes'] / gib:.1f} GiB; "
          f"steady state with 30 days of checks: {m['steady_30d_check_bytes'] / gib:.1f} GiB "
          f"(7 days: {m['steady_7d_check_bytes'] / gib:.1f} GiB), "
          f"plus {m['rollup_bytes_per_day'] / 2**20:.2f} MiB of rollups a day (kept); retention "
          f"CPU per day: rollup {m['rollup_cpu_s_per_day']:.1f} s, pruning "
          f"{m['prune_cpu_s_per_day']:.1f} s")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--contracts", type=int, default=5000)
    p.add_argument("--seed-rows", type=int, default=5_000_000)
    p.add_argument("--sweeps", type=int, default=4)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--prune-seconds", type=float, default=20.0)
    args = p.parse_args(argv)
    if args.tiny:
        args.contracts, args.seed_rows, args.sweeps, args.rounds = 30, 20_000, 4, 2
        args.prune_seconds = 5.0
    logging.disable(logging.WARNING)
    print_header("B8 growth and retention: 5,000 contracts every 5 minutes (PostgreSQL)",
                 ["demarc", "sqlalchemy", "psycopg"])
    verdicts = Verdicts()
    result = run(args.contracts, args.seed_rows, args.sweeps, args.rounds, args.prune_seconds,
                 verdicts)
    print("RESULTS " + json.dumps(result, default=str))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
