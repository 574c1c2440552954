"""Shared by the benchmarks: machine facts, timing helpers, registry generators, verdicts.

Benchmarks are not tests: they print numbers, ratios against a baseline measured in the same
run, and whether the issue's target was met. Run them from the repository root, e.g.
`.venv/bin/python -m bench.b3_registry` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PYTHON = sys.executable
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

TEAMS_YAML = """\
teams:
  - id: data_engineering
    name: Data Engineering
    discipline: data_engineering
    slack: {usergroup: {id: S0DATAENG, handle: data-eng}, oncall_channel: "#data-eng-oncall"}
    members: [{name: Alice Moreau, slack: U0ALICE01, email: alice@company.com}]
    oncall: {members: [U0ALICE01], period: 1 week, timezone: UTC, start: 2026-01-05}
  - id: mlops_churn
    name: MLOps Churn
    discipline: mlops
    slack: {usergroup: {id: S0MLCHURN, handle: mlops-churn}, oncall_channel: "#mlops-oncall"}
    members: [{name: Dana Kowalski, slack: U0DANAKOW}]
    oncall: {members: [U0DANAKOW], period: 1 week, timezone: UTC, start: 2026-01-05}
  - id: product
    name: Product
    discipline: product
    slack: {usergroup: {id: S0PRODUCT}, oncall_channel: "#product"}
    members: [{name: Pat Lee, slack: U0PATLEE1}]
raci:
  activities:
    raw_data_ingestion: {name: Raw data ingestion, roles: {data_engineering: R/A, mlops: I, product: I}}
    data_warehouse_setup: {name: Data warehouse setup, roles: {data_engineering: R/A, mlops: C, product: I}}
    feature_engineering: {name: Feature engineering, roles: {data_engineering: C, mlops: R/A, product: C}}
    model_training: {name: Model training, roles: {data_engineering: I, mlops: R/A, product: C}}
  kinds: {source: raw_data_ingestion, table: data_warehouse_setup, feature: feature_engineering, model: model_training}
"""  # noqa: E501


# ---------------------------------------------------------------------- command line
def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--tiny", action="store_true", help="a tiny size that runs in seconds (CI smoke run)"
    )
    return p


def pg_url() -> str:
    """A libpq URL (BENCH_PG_URL, else DEMARC_TEST_POSTGRES_URL, else the local server)."""
    url = os.environ.get("BENCH_PG_URL") or os.environ.get("DEMARC_TEST_POSTGRES_URL")
    return (url or DEFAULT_PG_URL).replace("postgresql+psycopg://", "postgresql://", 1)


# ---------------------------------------------------------------------- machine and versions
def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def versions(packages: Iterable[str]) -> dict[str, str]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def print_header(title: str, packages: Iterable[str] = ()) -> None:
    m = machine()
    print(f"== {title}")
    print(
        f"   {m['date']} | nproc {m['nproc']} | {m['cpu']} | RAM {m['ram']} | "
        f"Python {m['python']}"
    )
    if packages:
        print("   " + ", ".join(f"{k} {v}" for k, v in versions(packages).items()))
    sys.stdout.flush()


# ---------------------------------------------------------------------- timing and verdicts
def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def best_of(n: int, fn: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `n` runs (seconds) and the last run's value."""
    best, value = float("inf"), None
    for _ in range(max(1, n)):
        took, value = timed(fn)
        best = min(best, took)
    return best, value


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """p50/p95/p99/max of durations in seconds, shown in milliseconds."""
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 50) * 1000:.2f} ms, p95 {percentile(values, 95) * 1000:.2f} ms, "
        f"p99 {percentile(values, 99) * 1000:.2f} ms, max {max(values) * 1000:.2f} ms "
        f"(n={len(values)}, mean {statistics.fmean(values) * 1000:.2f} ms)"
    )


class Verdicts:
    """Collects "target met?" lines and prints them at the end."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, bool | None]] = []

    def check(self, what: str, met: bool | None) -> None:
        self.lines.append((what, met))
        word = {True: "MET", False: "MISSED", None: "n/a"}[met]
        print(f"   target {word:6}  {what}")
        sys.stdout.flush()

    def print_summary(self) -> None:
        missed = [w for w, ok in self.lines if ok is False]
        print(f"== {len(self.lines) - len(missed)}/{len(self.lines)} targets met or n/a" +
              (f"; missed: {'; '.join(missed)}" if missed else ""))


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def run_process(argv: Sequence[str], *, env: dict[str, str] | None = None,
                cwd: Path | None = None, check: bool = True) -> tuple[float, str]:
    """Run a whole process; (wall seconds, stdout). Raise with its stderr when it fails and
    `check` is set (exit codes 1/2 of `demarc check` mean late/failed, which are not errors)."""
    start = time.perf_counter()
    done = subprocess.run(
        list(argv), env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - start
    if check and done.returncode not in (0, 1):
        raise RuntimeError(
            f"{' '.join(argv[:3])}… exited {done.returncode}:\n{done.stderr[-3000:]}"
            f"\n{done.stdout[-2000:]}"
        )
    return took, done.stdout


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def drop_schema_tables(url: str, schema: str, batch: int = 250) -> None:
    """Drop `schema`, its tables a batch at a time (one DROP SCHEMA … CASCADE of thousands of
    tables would need more locks than max_locks_per_transaction allows)."""
    import psycopg  # only the PostgreSQL benchmarks need it

    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
        names = [row[0] for row in found]
        for start in range(0, len(names), batch):
            tables = ", ".join(f'"{schema}"."{n}"' for n in names[start : start + batch])
            conn.execute(f"DROP TABLE {tables} CASCADE")
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
