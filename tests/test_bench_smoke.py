"""Each benchmark in bench/ runs once at its tiny size, as a process, and reports its targets.

Benchmarks are not tests: nothing here looks at a timing or at whether a target was met, only
that the benchmark ran to the end and printed its results. B1 needs PostgreSQL (skipped with
the reason when there is none, required in CI like the other PostgreSQL tests); its dbt part
is skipped by the benchmark itself, with the reason, when bench/.venv-dbt is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

PG_URL = os.environ.get(
    "DEMARC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def run_bench(module: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, "--tiny", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "DEMARC_TEST_POSTGRES_URL": PG_URL},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{module} failed:\n{done.stderr[-3000:]}\n{done.stdout[-2000:]}"
    assert "RESULTS " in done.stdout, done.stdout
    assert "targets met or n/a" in done.stdout, done.stdout
    return done.stdout


def postgres_or_skip() -> None:
    import psycopg

    try:
        url = PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"B1 needs PostgreSQL at {PG_URL} ({type(exc).__name__})")


def test_b1_freshness_sweep_runs() -> None:
    postgres_or_skip()
    out = run_bench("bench.b1_freshness")
    assert "timestamps demarc (cold, warm) vs floor: 20/20 identical" in out
    assert "dbt / demarc =" in out or "dbt part skipped: dbt is not installed" in out


def test_b2_slash_latency_runs() -> None:
    out = run_bench("bench.b2_slash")
    assert "0 failed" in out


def test_b3_registry_load_runs() -> None:
    out = run_bench("bench.b3_registry")
    assert "who_owns by alias:" in out


def test_b4_alert_storm_runs() -> None:
    out = run_bench("bench.b4_storm")
    assert "Slack accepted" in out


def test_b5_signal_replay_runs() -> None:
    out = run_bench("bench.b5_replay")
    for mode in ("sweep", "scheduler"):
        assert f"   mode {mode} (" in out, out
    for row in ("| recall", "| false alarms", "| alert latency after the breach",
                "| roots posted", "| recovery latency", "| checks · max per contract per hour"):
        assert out.count(row) == 2, (row, out)


def test_b6_serve_sweep_runs() -> None:
    postgres_or_skip()
    out = run_bench("bench.b6_serve_sweep")
    for scenario in ("mixed", "steady"):
        assert f"-- 30 contracts, {scenario}:" in out, out
        assert f"30 {scenario}: timestamps sweep vs floor identical (30/30)" in out, out
    assert out.count(" statements, ") == 4, out


def test_b8_growth_runs() -> None:
    postgres_or_skip()
    out = run_bench("bench.b8_growth")
    for line in ("/metrics at ", "sweeps without pruning:", "rollup: ", "pruning: ",
                 "sweeps with pruning:", "model, per day:", "a month without retention:"):
        assert line in out, (line, out)
    assert "target MET     /metrics values equal the full scan's" in out, out


def test_b9_quality_sweep_runs() -> None:
    postgres_or_skip()
    out = run_bench("bench.b9_quality")
    assert "checks: 48 (3 failing, as injected)" in out, out
    assert "target MET     identical verdicts, demarc and the floor" in out, out
    assert "identical verdicts, demarc and datacontract-cli" in out or (
        "datacontract-cli skipped" in out
    ), out


def test_b3_reload_runs_tiny() -> None:
    out = run_bench("bench.b3_reload")
    assert "reload, one file changed" in out
    assert "dangling upstreams" in out


def test_b7_delivery_runs() -> None:
    postgres_or_skip()
    out = run_bench("bench.b7_delivery")
    for scenario in ("no limit", "1 msg/s/channel", "1 msg/s/channel, 100 ms latency"):
        assert f"-- {scenario}: 5 channels × 3 messages" in out, out
    for worker in ("parallel", "serial  "):
        assert f"   {worker} new alert waited" in out, out
    assert "parallel / serial = " in out, out
