"""B6 serve sweep: the real FreshnessService with its bookkeeping vs a psycopg floor, in-process.

Issue 16's first goal. For each size, creates that many PostgreSQL tables (own schema, indexed
`updated_at`, dropped afterwards) and as many demarc contracts (age SLA, SQL probe; mostly on
time, every 100th table and its four downstream contracts late, every 100th+50 late on its own;
a fifth of the contracts downstream of a source), demarc's own tables in another schema
(migrated like `serve` does), then measures **in one process, interleaved, after warm-up**:

* (a) the floor: the same `SELECT max(updated_at), current_timestamp FROM …` queries from one
  autocommit psycopg connection in a loop;
* (b) `FreshnessService.check()`: the whole sweep as `serve` runs it (probes on 8 threads,
  check rows, state, alerts, outbox writes);
* (c) the scheduler's path: `check_claimed_many(batch, holder)` for every batch of
  `bot.jobs.freshness.BATCH` contracts in lineage order, one batch after the other, as the
  scheduler runs its due checks (claimed in one transaction, probed together, recorded
  fenced); their `next_check_at` is reset, untimed, before each round.

It reports medians of `--rounds` rounds, the ratios to the floor and of (c) to (b), and what
each sweep costs the database per contract: statements (a SQLAlchemy `before_cursor_execute`
listener), commits and connection checkouts (each one a pre-ping round trip with
`pool_pre_ping`). After the warm-up, untimed, demarc's tables are `VACUUM (ANALYZE)`d and
the server `CHECKPOINT`s (when allowed), so statistics and the last scenario's writes settle
before the timed rounds instead of during them. Two scenarios: `mixed` (the late ones above,
in steady state: they stay late) and `steady` (every table on time: nothing changes, the
common case).
Targets (issue 16): (b) ≤ 2× the floor; (c) ≤ 1.5× (b).

    .venv/bin/python -m bench.b6_serve_sweep                 # 2,000 and 10,000 contracts
    .venv/bin/python -m bench.b6_serve_sweep --contracts 500 2000 5000 --rounds 5
    .venv/bin/python -m bench.b6_serve_sweep --tiny          # 30 contracts, 1 round (CI)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.common import (
    TEAMS_YAML,
    Verdicts,
    drop_schema_tables,
    parser,
    pg_url,
    print_header,
    ratio,
    write,
)

WAREHOUSE = f"demarc_bench_b6_wh_{os.getpid()}"
ROWS_PER_TABLE = 20
BATCH = 250
GROUP = 20  # lineage: table g*GROUP is a source, the next DOWNSTREAM tables read it
DOWNSTREAM = 4


def table_names(n: int) -> list[str]:
    return [f"t{i:05d}" for i in range(n)]


def upstream_of(i: int) -> int | None:
    return i - i % GROUP if 1 <= i % GROUP <= DOWNSTREAM else None


def stale(i: int) -> bool:
    """Late in the mixed scenario: a source and its downstream ones, and some on their own."""
    return i % 100 < 1 + DOWNSTREAM or i % 100 == 50


# ---------------------------------------------------------------------- the warehouse
def create_tables(url: str, n: int) -> None:
    drop_tables(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{WAREHOUSE}"')
        names = table_names(n)
        for start in range(0, n, BATCH):
            with conn.transaction():
                for i, name in enumerate(names[start : start + BATCH], start):
                    age = "interval '3 days'" if stale(i) else "interval '0'"
                    conn.execute(
                        f'CREATE TABLE "{WAREHOUSE}"."{name}" '
                        "(id serial PRIMARY KEY, updated_at timestamptz NOT NULL)"
                    )
                    conn.execute(
                        f'INSERT INTO "{WAREHOUSE}"."{name}" (updated_at) '
                        f"SELECT now() - {age} - random() * interval '2 hours' "
                        f"FROM generate_series(1, {ROWS_PER_TABLE})"
                    )
                    conn.execute(f'CREATE INDEX ON "{WAREHOUSE}"."{name}" (updated_at)')


def freshen_all(url: str, n: int) -> None:
    """Every table on time (the steady scenario)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for i, name in enumerate(table_names(n)):
            if stale(i):
                conn.execute(f'INSERT INTO "{WAREHOUSE}"."{name}" (updated_at) VALUES (now())')


def drop_tables(url: str) -> None:
    drop_schema_tables(url, WAREHOUSE, BATCH)


def floor(conn: psycopg.Connection[Any], names: list[str]) -> dict[str, datetime | None]:
    out: dict[str, datetime | None] = {}
    for name in names:
        query = sql.SQL("SELECT max(updated_at), current_timestamp FROM {}.{}").format(
            sql.Identifier(WAREHOUSE), sql.Identifier(name)
        )
        row = conn.execute(query).fetchone()
        out[name] = row[0] if row else None
    return out


# ---------------------------------------------------------------------- demarc
def write_registry(root: Path, n: int) -> None:
    assets = ["assets:"]
    for i, name in enumerate(table_names(n)):
        up = upstream_of(i)
        lineage = f", upstream: [{table_names(n)[up]}]" if up is not None else ""
        assets.append(f"  - {{id: {name}, kind: table, owner: data_engineering{lineage}}}")
    write(root / "teams.yaml", TEAMS_YAML + "\n".join(assets) + "\n")
    for name in table_names(n):
        write(
            root / "contracts" / f"{name}.yaml",
            f"data_source: {name}\n"
            "owner_team: data_engineering\n"
            "consumer_teams: [mlops_churn]\n"
            'freshness: {warn_after: "12 hours", error_after: "24 hours"}\n'
            "probe: {sql: {connection: BENCH_PG_URL, "
            f"table: {name}, schema: {WAREHOUSE}, timestamp_column: updated_at}}}}\n",
        )


def demarc_schema() -> tuple[str, Callable[[], None], Callable[[], None]]:
    """A schema of its own for demarc's tables; (SQLAlchemy URL, drop, settle)."""
    base = pg_url()
    schema = f"demarc_bench_b6_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    def settle() -> None:
        """Untimed, after the warm-up: `VACUUM (ANALYZE)` demarc's tables (fresh ones have no
        statistics until autovacuum gets round to them, mid-run) and `CHECKPOINT` (the
        previous scenario's writes and dropped schema), so neither lands in a timed round."""
        with psycopg.connect(base, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            tables = sql.SQL(", ").join(sql.Identifier(schema, r[0]) for r in rows)
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(tables))
            with contextlib.suppress(psycopg.Error):  # not a superuser (nor pg_checkpoint)
                conn.execute("CHECKPOINT")

    sep = "&" if "?" in base else "?"
    url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{url}{sep}options=-csearch_path%3D{schema}", drop, settle


@dataclass
class Counts:
    statements: int = 0
    commits: int = 0
    checkouts: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def reset(self) -> Counts:
        done = Counts(self.statements, self.commits, self.checkouts, dict(self.by_kind))
        self.statements = self.commits = self.checkouts = 0
        self.by_kind = {}
        return done


def count_on(engine: Any) -> Counts:
    from sqlalchemy import event

    counts = Counts()

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        counts.statements += 1
        words = statement.split(None, 3)
        kind = " ".join(words[:3] if words[:1] == ["DELETE"] else words[:1])
        if words[:1] in (["SELECT"], ["UPDATE"], ["INSERT"]):
            table = _table(statement)
            kind = f"{words[0]} {table}"
        counts.by_kind[kind] = counts.by_kind.get(kind, 0) + 1

    @event.listens_for(engine, "commit")
    def _commit(conn):  # type: ignore[no-untyped-def]
        counts.commits += 1

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, proxy):  # type: ignore[no-untyped-def]
        counts.checkouts += 1

    return counts


def _table(statement: str) -> str:
    words = statement.replace("\n", " ").split()
    marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(words[0], "FROM")
    if marker in words and words.index(marker) + 1 < len(words):
        return words[words.index(marker) + 1]
    return "?"


def run_size(n: int, rounds: int, verdicts: Verdicts) -> dict[str, Any]:
    from bot.registry.holder import RegistryHolder

    url = pg_url()
    create_tables(url, n)
    out: dict[str, Any] = {"contracts": n}
    try:
        with tempfile.TemporaryDirectory(prefix="demarc-b6-") as tmp:
            root = Path(tmp) / "registry"
            write_registry(root, n)
            registry = RegistryHolder.from_path(root).registry
            for scenario in ("mixed", "steady"):
                if scenario == "steady":
                    freshen_all(url, n)
                res = run_scenario(url, registry, n, rounds)
                out[scenario] = res
                _print(n, scenario, res, rounds)
                verdicts.check(
                    f"{n} {scenario}: sweep ≤ 2× the floor ({res['sweep_over_floor']:.2f}×)",
                    res["sweep_over_floor"] <= 2,
                )
                verdicts.check(
                    f"{n} {scenario}: scheduler path ≤ 1.5× the sweep "
                    f"({res['claimed_over_sweep']:.2f}×)",
                    res["claimed_over_sweep"] <= 1.5,
                )
                verdicts.check(
                    f"{n} {scenario}: timestamps sweep vs floor identical "
                    f"({n - res['timestamps_mismatched']}/{n})",
                    not res["timestamps_mismatched"],
                )
    finally:
        drop_tables(url)
    return out


def run_scenario(url: str, registry: Any, n: int, rounds: int) -> dict[str, Any]:
    """One demarc database (a fresh schema): a first sweep, warm-up, then `rounds` rounds."""
    from sqlalchemy import update

    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.db.models import ContractStatus
    from bot.freshness.service import FreshnessService, lineage_order
    from bot.jobs.freshness import BATCH as BATCH_OF_SCHEDULER
    from bot.probes import Prober, ProbeResult
    from ownership.model import Probe
    from ownership.sla import FreshnessState

    names = table_names(n)
    db_url, drop, settle = demarc_schema()
    upgrade(db_url)
    engine = make_engine(db_url)
    prober = Prober({"BENCH_PG_URL": url})

    def probe_many(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
        return prober.run(jobs, max_workers=8, timeout=60.0)  # as serve does

    service = FreshnessService(
        engine, lambda: registry, probe_many, clock=lambda: datetime.now(UTC)
    )
    ordered = [c.id for c in lineage_order(registry, registry.contracts.values())]
    counts = count_on(engine)

    def claimed_round() -> None:
        for start in range(0, len(ordered), BATCH_OF_SCHEDULER):
            service.check_claimed_many(ordered[start : start + BATCH_OF_SCHEDULER], "bench-b6")

    def reset_due() -> None:  # untimed: every contract due again
        with engine.begin() as c:
            c.execute(update(ContractStatus).values(next_check_at=None))
        counts.reset()

    conn = psycopg.connect(url, autocommit=True)
    try:
        began = time.perf_counter()
        first = service.check()
        first_s = time.perf_counter() - began
        first_counts = counts.reset()
        late = [r.contract.id for r in first if r.evaluation.state is FreshnessState.LATE]
        newest = floor(conn, names)  # also the floor's warm-up
        mismatched = [
            r.contract.id for r in first if r.evaluation.last_update != newest[r.contract.id]
        ]
        service.check()  # warm-up of the sweep in steady state
        reset_due()
        claimed_round()  # warm-up of the per-contract path
        settle()
        times: dict[str, list[float]] = {"floor": [], "sweep": [], "claimed": []}
        per: dict[str, Counts] = {}
        for _ in range(rounds):
            t0 = time.perf_counter()
            floor(conn, names)
            times["floor"].append(time.perf_counter() - t0)
            counts.reset()
            t0 = time.perf_counter()
            service.check()
            times["sweep"].append(time.perf_counter() - t0)
            per["sweep"] = counts.reset()
            reset_due()
            t0 = time.perf_counter()
            claimed_round()
            times["claimed"].append(time.perf_counter() - t0)
            per["claimed"] = counts.reset()
    finally:
        conn.close()
        prober.close()
        engine.dispose()
        drop()
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "late": len(late),
        "first_sweep_s": first_s,
        "first_sweep_statements_per_contract": first_counts.statements / n,
        "timestamps_mismatched": len(mismatched),
        "median_s": med,
        "rounds_s": times,
        "sweep_over_floor": ratio(med["sweep"], med["floor"]),
        "claimed_over_floor": ratio(med["claimed"], med["floor"]),
        "claimed_over_sweep": ratio(med["claimed"], med["sweep"]),
        "per_contract": {
            k: {
                "statements": c.statements / n,
                "commits": c.commits / n,
                "checkouts": c.checkouts / n,
                "top": dict(sorted(c.by_kind.items(), key=lambda kv: -kv[1])[:8]),
            }
            for k, c in per.items()
        },
    }


def _print(n: int, scenario: str, res: dict[str, Any], rounds: int) -> None:
    med = res["median_s"]
    print(
        f"-- {n} contracts, {scenario}: {res['late']} late; first sweep "
        f"{res['first_sweep_s']:.2f} s ({res['first_sweep_statements_per_contract']:.1f} "
        f"statements per contract); medians of {rounds} rounds:"
    )
    print(
        f"   floor (psycopg loop)     {med['floor']:.3f} s  ({med['floor'] / n * 1e6:.0f} µs "
        "per contract)"
    )
    print(
        f"   FreshnessService.check() {med['sweep']:.3f} s  ({med['sweep'] / n * 1e6:.0f} µs "
        f"per contract) = {res['sweep_over_floor']:.2f}× the floor"
    )
    print(
        f"   scheduler batches        {med['claimed']:.3f} s  ({med['claimed'] / n * 1e6:.0f} µs "
        f"per contract) = {res['claimed_over_floor']:.2f}× the floor, "
        f"{res['claimed_over_sweep']:.2f}× the sweep"
    )
    for k, c in res["per_contract"].items():
        print(
            f"   {k:8} per contract: {c['statements']:.2f} statements, {c['commits']:.2f} "
            f"commits, {c['checkouts']:.2f} checkouts (pre-pings); most: {c['top']}"
        )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--contracts", type=int, nargs="+", default=[2000, 10000])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    if args.tiny:
        args.contracts, args.rounds = [30], 1
    logging.disable(logging.WARNING)
    print_header(
        "B6 serve sweep: FreshnessService vs an in-process psycopg floor (PostgreSQL)",
        ["demarc", "sqlalchemy", "psycopg"],
    )
    verdicts = Verdicts()
    results = [run_size(n, args.rounds, verdicts) for n in args.contracts]
    print("RESULTS " + json.dumps(results, default=str))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
