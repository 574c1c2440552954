"""B9 data quality sweep: demarc's QualityService vs datacontract-cli `test` vs a psycopg floor.

Issue 12's benchmark. Creates its own PostgreSQL schema with `--tables` tables of `--rows` rows
(id, customer_id, amount, updated_at within the last hour), with injected faults: every 5th
table has nulls in the required `customer_id`, every 7th duplicate ids (a declared key), every
9th a short load (a tenth of the rows, below the contract's `rowCount`). One ODCS v3 contract
per table (required and unique properties, a table-level `rowCount mustBeGreaterThan`, a
server block for datacontract-cli, the demarc extension for demarc), then, interleaved, for
`--rounds` rounds:

* the floor: the aggregate query demarc sends, per table, from `--threads` psycopg
  connections in this process;
* demarc: `QualityService.check(force=True)` with its bookkeeping (results, status, alerts and
  their outbox rows in a SQLite state database), `--threads` connections;
* datacontract-cli 1.x `test` (its Python API, one contract after the other, as its CLI does)
  from bench/.venv-dcc, timed inside its process after its imports (`bench/b9_dcc.py`), in
  the first `--dcc-rounds` rounds (1: it takes minutes).

Every check must get the same verdict from demarc and datacontract-cli (completeness of
required columns, uniqueness of keys, row count, declared types: demarc's `type:` against its
`field_physical_type`), and from the floor for the ones it computes (all but the types: the
columns' types are the declared ones, which the floor takes as given). datacontract-cli's
"field is present" checks are demarc's schema drift check, not part of this sweep. Targets:
demarc ≥ 5× faster than datacontract-cli, ≤ 1.5× the floor (medians).

    .venv/bin/python -m bench.b9_quality            # 50 tables × 100,000 rows, 3 rounds
    .venv/bin/python -m bench.b9_quality --tiny     # 6 tables × 2,000 rows, 1 round (CI)
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty, SimpleQueue

import psycopg
from psycopg import sql

from bench.common import BENCH, Verdicts, parser, pg_url, print_header, ratio

DCC_PYTHON = BENCH / ".venv-dcc" / "bin" / "python"
TEAMS = """\
teams:
  - id: data_engineering
    name: Data Engineering
    slack: {oncall_channel: "#data-eng-oncall"}
    members: [{name: Alice, slack: U0ALICE01}]
"""
COLUMNS = ("id", "customer_id", "updated_at")  # the required ones, in contract order


def contract(name: str, schema: str, host: str, port: int, db: str, min_rows: int) -> str:
    return f"""\
apiVersion: v3.0.2
kind: DataContract
id: {name}
name: {name}
version: 1.0.0
status: active
servers:
  - {{server: pg, type: postgres, host: "{host}", port: {port}, database: {db}, schema: {schema}}}
schema:
  - name: {name}
    physicalName: {name}
    physicalType: table
    quality:
      - {{type: library, metric: rowCount, mustBeGreaterThan: {min_rows}}}
    properties:
      - {{name: id, logicalType: integer, physicalType: integer, required: true, unique: true}}
      - {{name: customer_id, logicalType: string, physicalType: text, required: true}}
      - {{name: amount, logicalType: integer, physicalType: integer}}
      - {{name: updated_at, logicalType: timestamp, physicalType: timestamptz, required: true}}
slaProperties:
  - {{property: latency, value: 1, unit: d, element: {name}.updated_at}}
customProperties:
  - property: demarc
    value: {{owner_team: data_engineering, connection: BENCH_PG_URL}}
"""


def faults(i: int, rows: int) -> tuple[int, int, int]:
    """(rows, nulls in customer_id, duplicated ids) of table i."""
    n = rows // 10 if i % 9 == 3 else rows
    return n, (rows // 100 if i % 5 == 1 else 0), (50 if i % 7 == 2 else 0)


def create(url: str, schema: str, names: list[str], rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for i, name in enumerate(names):
            n, nulls, dups = faults(i, rows)
            t = sql.Identifier(schema, name)
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} AS SELECT g AS id, CASE WHEN g <= %s THEN NULL ELSE "
                    "'c' || g END AS customer_id, g %% 1000 AS amount, now() - (g %% 3000) * "
                    "interval '1 second' AS updated_at FROM generate_series(1, %s) g"
                ).format(t),
                (nulls, n),
            )
            if dups:
                conn.execute(
                    sql.SQL("INSERT INTO {} SELECT * FROM {} WHERE id <= %s").format(t, t),
                    (dups,),
                )
            conn.execute(sql.SQL("ANALYZE {}").format(t))


def drop(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# ---------------------------------------------------------------------- the floor
FLOOR_SQL = (
    "SELECT count(*) AS rows, count(*) - count({id}), count({id}) - count(DISTINCT {id}), "
    "count(*) - count({cust}), count(*) - count({ts}), count(*) FROM {table} WHERE {ts} >= %s"
)


def floor(url: str, schema: str, names: list[str], threads: int, since: datetime) -> dict:
    """The aggregate demarc sends, per table, from `threads` autocommit connections."""
    todo: SimpleQueue[str] = SimpleQueue()
    for name in names:
        todo.put(name)
    out: dict[str, tuple[int, ...]] = {}

    def work() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                try:
                    name = todo.get_nowait()
                except Empty:
                    return
                query = sql.SQL(FLOOR_SQL).format(
                    id=sql.Identifier("id"),
                    cust=sql.Identifier("customer_id"),
                    ts=sql.Identifier("updated_at"),
                    table=sql.Identifier(schema, name),
                )
                row = conn.execute(query, (since,)).fetchone()
                assert row is not None
                out[name] = tuple(int(v) for v in row)

    workers = [threading.Thread(target=work) for _ in range(min(threads, len(names)))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return out


def floor_verdicts(numbers: dict, min_rows: int) -> dict[tuple[str, str], bool]:
    out = {}
    for name, (rows, null_id, dup_id, null_cust, null_ts, count) in numbers.items():
        out[(name, "completeness:id")] = null_id == 0
        out[(name, "uniqueness:id")] = dup_id == 0
        out[(name, "completeness:customer_id")] = null_cust == 0
        out[(name, "completeness:updated_at")] = null_ts == 0
        out[(name, "rowCount:table")] = count > min_rows
        del rows
    return out


# ---------------------------------------------------------------------- demarc
def demarc_service(registry_dir: Path, state: Path, threads: int, url: str):
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.probes.quality import QualityProber
    from bot.quality.service import QualityService
    from ownership.loader import load_registry

    result = load_registry(registry_dir)
    assert result.registry is not None, [str(p) for p in result.errors][:5]
    registry = result.registry
    db = f"sqlite:///{state}"
    upgrade(db)
    prober = QualityProber({"BENCH_PG_URL": url}, pool_size=threads)
    return QualityService(make_engine(db), lambda: registry, prober)


def demarc_verdicts(reports: list) -> dict[tuple[str, str], bool | None]:
    return {(r.contract.id, v.rule.id): v.passed for r in reports for v in r.verdicts}


# ---------------------------------------------------------------------- datacontract-cli
DCC_TYPES = {"field_required": "completeness:{field}", "field_unique": "uniqueness:{field}",
             "row_count": "rowCount:table", "field_physical_type": "type:{field}"}  # fmt: skip


def dcc(files: list[Path], url: str) -> tuple[float, dict[tuple[str, str], bool | None], str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    env = {
        **os.environ,
        "DATACONTRACT_POSTGRES_USERNAME": parsed.username or "postgres",
        "DATACONTRACT_POSTGRES_PASSWORD": parsed.password or "unused",
    }
    done = subprocess.run(
        [str(DCC_PYTHON), str(BENCH / "b9_dcc.py"), *map(str, files)],
        capture_output=True, text=True, env=env, check=False, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0:
        return float("nan"), {}, done.stderr.strip().splitlines()[-1:][0] if done.stderr else "?"
    data = json.loads(done.stdout.strip().splitlines()[-1])
    out: dict[tuple[str, str], bool | None] = {}
    errors = []
    for path, checks in data["checks"].items():
        name = Path(path).name.removesuffix(".odcs.yaml")
        for kind, field, result, reason in checks:
            if kind in DCC_TYPES:
                out[(name, DCC_TYPES[kind].format(field=field))] = (
                    True if result == "passed" else False if result == "failed" else None
                )
            elif result not in ("passed", "failed"):
                errors.append(f"{name} {kind}: {result} {reason}")
    return float(data["seconds"]), out, "; ".join(errors[:3])


# ---------------------------------------------------------------------- the run
def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--tables", type=int, default=50)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--no-dcc", action="store_true", help="skip datacontract-cli")
    p.add_argument(
        "--dcc-rounds", type=int, default=1, help="rounds datacontract-cli runs in (it is slow)"
    )
    args = p.parse_args(argv)
    if args.tiny:
        args.tables, args.rows, args.rounds = 6, 2000, 1
    logging.disable(logging.WARNING)
    print_header(
        "B9 data quality sweep: QualityService vs datacontract-cli test vs a psycopg floor",
        ["demarc", "sqlalchemy", "psycopg"],
    )
    url = pg_url()
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    schema = f"demarc_bench_b9_{os.getpid()}"
    names = [f"q{i:03d}" for i in range(args.tables)]
    min_rows = args.rows // 2
    verdicts = Verdicts()
    load = os.getloadavg()
    print(f"   load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.tables} tables × "
          f"{args.rows:,} rows, {args.threads} threads, {args.rounds} rounds")  # fmt: skip
    use_dcc = not args.no_dcc and DCC_PYTHON.exists()
    if not use_dcc:
        why = "--no-dcc" if args.no_dcc else f"{DCC_PYTHON} is missing (see bench/README.md)"
        print(f"   datacontract-cli skipped: {why}")
    try:
        create(url, schema, names, args.rows)
        with tempfile.TemporaryDirectory(prefix="demarc-b9-") as tmp:
            reg = Path(tmp, "registry")
            reg.mkdir()
            (reg / "teams.yaml").write_text(TEAMS)
            files = []
            for name in names:
                path = reg / f"{name}.odcs.yaml"
                path.write_text(
                    contract(name, schema, parsed.host or "127.0.0.1", parsed.port or 5432,
                             parsed.database or "test", min_rows)
                )  # fmt: skip
                files.append(path)
            os.environ["BENCH_PG_URL"] = url
            service = demarc_service(reg, Path(tmp, "state.sqlite3"), args.threads, url)
            since = datetime.now(UTC) - timedelta(days=1)
            floor(url, schema, names, args.threads, since)  # warm-up, untimed
            service.check(force=True)  # warm-up: engines, pools, first alerts
            times: dict[str, list[float]] = {"floor": [], "demarc": [], "dcc": []}
            floor_v: dict = {}
            demarc_v: dict = {}
            dcc_v: dict = {}
            dcc_errors = ""
            for n in range(args.rounds):
                start = time.perf_counter()
                numbers = floor(url, schema, names, args.threads, since)
                times["floor"].append(time.perf_counter() - start)
                floor_v = floor_verdicts(numbers, min_rows)
                start = time.perf_counter()
                reports = service.check(force=True)
                times["demarc"].append(time.perf_counter() - start)
                demarc_v = demarc_verdicts(reports)
                if use_dcc and n < args.dcc_rounds:
                    took, dcc_v, dcc_errors = dcc(files, url)
                    times["dcc"].append(took)
            service.prober.close()
    finally:
        drop(url, schema)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    failing = sum(1 for v in demarc_v.values() if v is False)
    same_floor = floor_v == {k: demarc_v.get(k) for k in floor_v}  # types: the floor has none
    print(f"   checks: {len(demarc_v)} ({failing} failing, as injected)")
    print(f"   floor (psycopg)              {med['floor']:.3f} s")
    print(f"   QualityService.check()       {med['demarc']:.3f} s = "
          f"{ratio(med['demarc'], med['floor']):.2f}× the floor")  # fmt: skip
    result: dict[str, object] = {
        "tables": args.tables, "rows": args.rows, "threads": args.threads,
        "load": load, "medians_s": med, "checks": len(demarc_v), "failing": failing,
        "demarc_over_floor": ratio(med["demarc"], med["floor"]),
        "verdicts_match_floor": same_floor,
    }  # fmt: skip
    verdicts.check("identical verdicts, demarc and the floor", same_floor)
    if use_dcc and "dcc" in med and dcc_v:
        shared = {k: v for k, v in dcc_v.items() if k in demarc_v}
        same = shared == {k: demarc_v[k] for k in shared} and len(shared) == len(demarc_v)
        speedup = ratio(med["dcc"], med["demarc"])
        print(f"   datacontract-cli test        {med['dcc']:.3f} s; demarc {speedup:.1f}× faster")
        if dcc_errors:
            print(f"   datacontract-cli problems: {dcc_errors}")
        result.update(dcc_over_demarc=speedup, verdicts_match_dcc=same)
        verdicts.check(f"identical verdicts, demarc and datacontract-cli ({len(shared)} checks)",
                       same)  # fmt: skip
        verdicts.check(f"≥ 5× faster than datacontract-cli ({speedup:.1f}×)",
                       None if args.tiny else speedup >= 5)  # fmt: skip
    else:
        verdicts.check("datacontract-cli", None)
    over = ratio(med["demarc"], med["floor"])
    verdicts.check(f"≤ 1.5× the floor ({over:.2f}×)", None if args.tiny else over <= 1.5)
    print("RESULTS " + json.dumps(result, default=str))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
