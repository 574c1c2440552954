"""B1 freshness sweep: `demarc check` vs `dbt source freshness` vs a psycopg floor.

For each size, creates that many PostgreSQL tables (own schema, indexed `updated_at`, dropped
afterwards), the same tables as demarc contracts (age SLA, SQL probe) and as dbt sources
(`loaded_at_field`), then times three whole processes with the same thread count:

* `demarc check --registry … --threads N --json`, cold (its parse cache removed before the
  run: every registry file read) and warm (the cache the run before left), interleaved with
  the floor: floor, cold, floor, warm, `--repeat` times
* `dbt source freshness` (dbt-core 1.11 + dbt-postgres 1.11.0 in bench/.venv-dbt; skipped with
  the reason when it is not installed; see bench/requirements-dbt.txt)
* the floor: bench/b1_floor.py, the same `max(updated_at)` queries with plain psycopg

and checks that every table's newest timestamp is identical across the three.
Target: demarc ≥ 10× faster than dbt, and within 2× of the floor.

    .venv/bin/python -m bench.b1_freshness                # 500 and 2,000 tables, 4 threads
    .venv/bin/python -m bench.b1_freshness --tiny         # 20 tables, one run each (CI)
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from bench.common import (
    BENCH,
    PYTHON,
    REPO,
    TEAMS_YAML,
    Verdicts,
    drop_schema_tables,
    parser,
    pg_url,
    print_header,
    ratio,
    run_process,
    write,
)

SCHEMA = f"demarc_bench_b1_{os.getpid()}"  # own schema per run, dropped at the end
ROWS_PER_TABLE = 50
BATCH = 250
DBT_VENV = Path(os.environ.get("BENCH_DBT_VENV", BENCH / ".venv-dbt"))
DEMARC = Path(PYTHON).with_name("demarc")


def median(runs: list[tuple[float, dict[str, str | None]]]) -> float:
    return statistics.median(took for took, _ in runs)


def age(root: Path, seconds: float = 3600) -> None:
    """Date the registry's files back, as a checkout not written this second: the parse
    cache keeps no file modified within its racy window (ownership/parse_cache.py)."""
    then = time.time() - seconds
    for file in root.rglob("*.yaml"):
        os.utime(file, (then, then))


def table_names(n: int) -> list[str]:
    return [f"t{i:05d}" for i in range(n)]


# ---------------------------------------------------------------------- the database
def create_tables(url: str, names: list[str]) -> None:
    """One schema, `names` tables of ROWS_PER_TABLE rows; every 10th is two days stale."""
    drop_tables(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{SCHEMA}"')
        for start in range(0, len(names), BATCH):  # a transaction per batch: lock table size
            with conn.transaction():
                for i, name in enumerate(names[start : start + BATCH], start):
                    stale = "interval '2 days'" if i % 10 == 0 else "interval '0'"
                    conn.execute(
                        f'CREATE TABLE "{SCHEMA}"."{name}" '
                        "(id serial PRIMARY KEY, updated_at timestamptz NOT NULL)"
                    )
                    conn.execute(
                        f'INSERT INTO "{SCHEMA}"."{name}" (updated_at) '
                        f"SELECT now() - {stale} - random() * interval '20 hours' "
                        f"FROM generate_series(1, {ROWS_PER_TABLE})"
                    )
                    conn.execute(f'CREATE INDEX ON "{SCHEMA}"."{name}" (updated_at)')
        conn.execute(f'ANALYZE "{SCHEMA}".t00000')


def drop_tables(url: str) -> None:
    drop_schema_tables(url, SCHEMA, BATCH)


# ---------------------------------------------------------------------- demarc and dbt inputs
def write_registry(root: Path, names: list[str]) -> None:
    write(root / "teams.yaml", TEAMS_YAML)
    for name in names:
        write(
            root / "contracts" / f"{name}.yaml",
            f"data_source: bench_{name}\n"
            "owner_team: data_engineering\n"
            "consumer_teams: [mlops_churn]\n"
            'freshness: {warn_after: "12 hours", error_after: "24 hours"}\n'
            "probe: {sql: {connection: BENCH_PG_URL, "
            f"table: {name}, schema: {SCHEMA}, timestamp_column: updated_at}}}}\n",
        )


def write_dbt_project(root: Path, names: list[str], url: str, threads: int) -> None:
    parts = urlsplit(url)
    write(root / "dbt_project.yml", "name: bench\nversion: '1.0'\nconfig-version: 2\n"
          "profile: bench\n")
    profile = {
        "bench": {
            "target": "pg",
            "outputs": {
                "pg": {
                    "type": "postgres",
                    "host": parts.hostname or "127.0.0.1",
                    "port": parts.port or 5432,
                    "user": unquote(parts.username or "postgres"),
                    "password": unquote(parts.password or ""),
                    "dbname": parts.path.lstrip("/") or "postgres",
                    "schema": SCHEMA,
                    "threads": threads,
                }
            },
        }
    }
    write(root / "profiles.yml", json.dumps(profile, indent=2))  # JSON is YAML
    tables = "".join(f"      - name: {name}\n" for name in names)
    write(
        root / "models" / "sources.yml",
        "version: 2\n"
        "sources:\n"
        "  - name: bench\n"
        f"    schema: {SCHEMA}\n"
        "    loaded_at_field: updated_at\n"
        "    freshness:\n"
        "      warn_after: {count: 12, period: hour}\n"
        "      error_after: {count: 24, period: hour}\n"
        "    tables:\n" + tables,
    )


# ---------------------------------------------------------------------- the three runners
def run_demarc(registry: Path, threads: int, url: str, cache: Path | None = None
               ) -> tuple[float, dict[str, str | None]]:
    """One `demarc check`; with `cache`, its parse cache in that folder (cold: removed first
    by the caller; warm: left from the run before), else `--no-cache`."""
    env = {**os.environ, "BENCH_PG_URL": url, "DEMARC_CACHE_DIR": str(cache or registry)}
    argv = [str(DEMARC), "check", "--registry", str(registry), "--threads", str(threads),
            "--json", *([] if cache else ["--no-cache"])]
    took, out = cpu_timed("demarc warm" if cache and cache.exists() else "demarc cold"
                          if cache else "demarc no cache", argv, env=env)
    stamps = {row["contract"].removeprefix("bench_"): row["last_update"]
              for row in json.loads(out)}
    errors = [row for row in json.loads(out) if row["state"] == "check_failed"]
    if errors:
        raise RuntimeError(f"demarc check failed for {len(errors)} contracts: {errors[:3]}")
    return took, stamps


def run_floor(names: list[str], threads: int, url: str) -> tuple[float, dict[str, str | None]]:
    argv = [PYTHON, str(BENCH / "b1_floor.py"), url, SCHEMA, str(threads), *names]
    took, out = cpu_timed("floor", argv)
    return took, json.loads(out)


CPU: dict[str, list[float]] = {}  # each kind of run: its processes' CPU seconds (user + sys)


def cpu_timed(kind: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """`run_process`, also recording the CPU the process used: on a busy machine wall times
    swing with the load, CPU seconds much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    took, out = run_process(argv, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(kind, []).append(used)
    return took, out


def precompile() -> None:
    """Byte-compile demarc's own modules, as `pip install` does: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 (this machine's environment) would otherwise compile ~100
    modules from source in every process, a cost no installed demarc pays. The libraries in
    the virtualenv were compiled when pip installed them."""
    run_process([PYTHON, "-m", "compileall", "-q", str(REPO / "bot"), str(REPO / "ownership")])


def dbt_missing() -> str | None:
    if not (DBT_VENV / "bin" / "dbt").exists():
        return (
            f"dbt is not installed at {DBT_VENV} (python3 -m venv bench/.venv-dbt && "
            "bench/.venv-dbt/bin/pip install -r bench/requirements-dbt.txt)"
        )
    return None


def run_dbt(project: Path) -> tuple[float, dict[str, str | None]]:
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "DBT_PRINTER_WIDTH": "120",
    }
    argv = [str(DBT_VENV / "bin" / "dbt"), "source", "freshness", "--project-dir",
            str(project), "--profiles-dir", str(project)]
    took, _ = run_process(argv, env=env, cwd=project)
    data = json.loads((project / "target" / "sources.json").read_text())
    stamps: dict[str, str | None] = {}
    for result in data["results"]:
        name = result["unique_id"].rsplit(".", 1)[-1]
        stamps[name] = result.get("max_loaded_at")
    return took, stamps


def same_instant(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def mismatches(names: list[str], ref: dict[str, str | None],
               other: dict[str, str | None]) -> list[str]:
    return [
        f"{n}: {ref.get(n)} vs {other.get(n)}"
        for n in names
        if n not in other or not same_instant(ref.get(n), other.get(n))
    ]


# ---------------------------------------------------------------------- one size
def bench_size(n: int, threads: int, repeat: int, dbt_repeat: int, verdicts: Verdicts,
               skip_dbt: str | None) -> dict[str, object]:
    url = pg_url()
    names = table_names(n)
    print(f"-- {n} tables, {threads} threads")
    sys.stdout.flush()
    with tempfile.TemporaryDirectory(prefix="demarc-b1-") as tmp:
        root = Path(tmp)
        create_tables(url, names)
        try:
            write_registry(root / "registry", names)
            age(root / "registry")
            write_dbt_project(root / "dbt", names, url, threads)
            run_floor(names, threads, url)  # warm PostgreSQL's caches; not counted
            floors, colds, warms = [], [], []
            CPU.clear()
            cache = root / "cache"
            for _ in range(repeat):  # interleaved: floor, demarc cold, floor, demarc warm
                floors.append(run_floor(names, threads, url))
                shutil.rmtree(cache, ignore_errors=True)
                colds.append(run_demarc(root / "registry", threads, url, cache))
                floors.append(run_floor(names, threads, url))
                warms.append(run_demarc(root / "registry", threads, url, cache))
            floor_t, floor = min(floors, key=lambda r: r[0])
            demarc_t, demarc = min(colds, key=lambda r: r[0])
            warm_t, warm = min(warms, key=lambda r: r[0])
            dbt_t: float | None = None
            dbt: dict[str, str | None] = {}
            if skip_dbt is None:
                dbt_t, dbt = min((run_dbt(root / "dbt") for _ in range(dbt_repeat)),
                                 key=lambda r: r[0])
        finally:
            drop_tables(url)
            shutil.rmtree(root / "dbt" / "target", ignore_errors=True)
    print(f"   floor (psycopg, {threads} threads)  {floor_t:8.3f} s   best of {2 * repeat}"
          f" (median {median(floors):.3f} s)")
    print(f"   demarc check, cold cache      {demarc_t:8.3f} s   best of {repeat}"
          f" (median {median(colds):.3f} s)")
    print(f"   demarc check, warm cache      {warm_t:8.3f} s   best of {repeat}"
          f" (median {median(warms):.3f} s)")
    cpu = {kind: min(values) for kind, values in CPU.items() if not kind.startswith("dbt")}
    print("   CPU (user + sys, best): " + ", ".join(f"{k} {v:.3f} s" for k, v in cpu.items())
          + (f"; warm / floor {ratio(cpu['demarc warm'], cpu['floor']):.2f}×, cold / floor "
             f"{ratio(cpu['demarc cold'], cpu['floor']):.2f}×" if len(cpu) == 3 else ""))
    if dbt_t is not None:
        print(f"   dbt source freshness          {dbt_t:8.3f} s   best of {dbt_repeat}")
    else:
        print(f"   dbt source freshness          skipped: {skip_dbt}")
    bad = mismatches(names, floor, demarc) + mismatches(names, floor, warm)
    print(f"   timestamps demarc (cold, warm) vs floor: {n - len(bad)}/{n} identical"
          + (f"; mismatches: {bad[:5]}" if bad else ""))
    verdicts.check(f"{n} tables: demarc timestamps identical to the floor's", not bad)
    vs_floor, warm_vs_floor = ratio(demarc_t, floor_t), ratio(warm_t, floor_t)
    print(f"   demarc / floor = {vs_floor:.2f}× cold, {warm_vs_floor:.2f}× warm  (target ≤ 2×)")
    verdicts.check(f"{n} tables: demarc, cold cache, within 2× of the floor ({vs_floor:.2f}×)",
                   vs_floor <= 2.0)
    verdicts.check(f"{n} tables: demarc, warm cache, within 2× of the floor "
                   f"({warm_vs_floor:.2f}×)", warm_vs_floor <= 2.0)
    result: dict[str, object] = {"tables": n, "threads": threads, "floor_s": floor_t,
                                 "demarc_s": demarc_t, "demarc_vs_floor": vs_floor,
                                 "demarc_warm_s": warm_t, "demarc_warm_vs_floor": warm_vs_floor,
                                 "cpu_s": cpu}
    if dbt_t is not None:
        bad_dbt = mismatches(names, floor, dbt)
        print(f"   timestamps dbt vs floor: {n - len(bad_dbt)}/{n} identical"
              + (f"; mismatches: {bad_dbt[:5]}" if bad_dbt else ""))
        verdicts.check(f"{n} tables: dbt timestamps identical to demarc's and the floor's",
                       not bad_dbt and not bad)
        speedup = ratio(dbt_t, demarc_t)
        print(f"   dbt / demarc = {speedup:.1f}×  (target ≥ 10×)")
        verdicts.check(f"{n} tables: demarc ≥ 10× faster than dbt ({speedup:.1f}×)",
                       speedup >= 10.0)
        result.update(dbt_s=dbt_t, dbt_vs_demarc=speedup)
    else:
        verdicts.check(f"{n} tables: demarc vs dbt (skipped: {skip_dbt})", None)
    return result


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--tables", type=int, nargs="+", default=[500, 2000])
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--repeat", type=int, default=3,
                   help="rounds of floor, demarc cold, floor, demarc warm (best of each)")
    p.add_argument("--dbt-repeat", type=int, default=2, help="runs of dbt (best; 0: none)")
    p.add_argument("--no-dbt", action="store_true", help="skip dbt even if it is installed")
    p.add_argument("--no-precompile", action="store_true",
                   help="do not byte-compile demarc first (each run may compile it from source)")
    args = p.parse_args(argv)
    if args.tiny:
        args.tables, args.repeat, args.dbt_repeat = [20], 1, 1
    skip = "--no-dbt given" if args.no_dbt or args.dbt_repeat < 1 else dbt_missing()
    print_header("B1 freshness sweep: demarc check vs dbt source freshness vs psycopg floor",
                 ["demarc", "sqlalchemy", "psycopg", "PyYAML"])
    if skip is None:
        _, version = run_process([str(DBT_VENV / "bin" / "dbt"), "--version"], check=False)
        print("   dbt: " + " ".join(line.strip() for line in version.splitlines()
                                    if "installed" in line or "postgres:" in line))
    else:
        print(f"   dbt part skipped: {skip}")
    if not args.no_precompile:
        precompile()
    print(f"   demarc byte-compiled first: {not args.no_precompile}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    verdicts = Verdicts()
    results = [bench_size(n, args.threads, args.repeat, args.dbt_repeat, verdicts, skip)
               for n in args.tables]
    print("RESULTS " + json.dumps(results))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
