"""Three `demarc serve` processes on one PostgreSQL, one killed mid-sweep: every due check
runs once, every breach is alerted once, and the survivors finish the dead one's work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fakes.fake_slack import FakeSlack
from tests.integration.conftest import _postgres_schema_url

CONTRACTS = 240
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_schema_url()


def write_registry(root: Path) -> None:
    root.mkdir()
    (root / "teams.yaml").write_text(
        "teams:\n"
        "  - id: data_engineering\n"
        "    slack: {oncall_channel: '#data-eng-oncall'}\n"
        "    members: [U0ALICE01]\n"
        "    oncall: {members: [U0ALICE01], period: weekly, timezone: UTC, start: 2026-01-05}\n"
        "  - id: mlops\n"
        "    members: [U0DANA001]\n"
    )
    for i in range(CONTRACTS):
        (root / f"c{i:03d}.yaml").write_text(
            f"data_source: feed_{i:03d}\n"
            "owner_team: data_engineering\n"
            "consumer_teams: [mlops]\n"
            f"alert_channel: '#feed-{i:03d}'\n"
            "freshness: {warn_after: 1 hour, error_after: 2 hours}\n"
            "probe:\n"
            "  sql:\n"
            "    connection: WAREHOUSE_URL\n"
            f"    table: feed_{i:03d}\n"
            "    timestamp_column: updated_at\n"
            # one row, one slow query: the kill lands in the middle of the sweep
            '    filter: "pg_sleep(0.05) IS NOT NULL"\n'
        )


def start(url: str, registry: Path, slack: FakeSlack, n: int) -> subprocess.Popen[bytes]:
    """Replica `n`, on a port the system picks (PORT=0: fixed ports collide with others)."""
    env = dict(
        os.environ,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="test-secret",
        DEMARC_REGISTRY=str(registry),
        DEMARC_DATABASE_URL=url,
        WAREHOUSE_URL=url,
        DEMARC_SLACK_API_URL=slack.base_url,
        DEMARC_HOST="127.0.0.1",
        PORT="0",
        DEMARC_RELOAD_INTERVAL="0",
        DEMARC_CLAIM_LEASE="4",
        DEMARC_LEASE_TTL="3",
        DEMARC_SEND_LEASE="3",
        LOG_LEVEL="WARNING",
    )
    with open(registry.parent / f"replica-{n}.log", "wb") as log:  # read on failure
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def scalar(url: str, sql: str) -> int:
    engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar() or 0
    engine.dispose()
    return int(value)


@pytest.mark.postgres
def test_three_replicas_one_killed_mid_sweep(pg_url: str, tmp_path: Path) -> None:
    from bot.db.migrate import upgrade

    upgrade(pg_url)
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for i in range(CONTRACTS):
            conn.execute(
                text(f"CREATE TABLE feed_{i:03d} AS SELECT now() - interval '3 days' AS updated_at")
            )
    engine.dispose()
    registry = tmp_path / "registry"
    write_registry(registry)
    with FakeSlack() as slack:
        procs = [start(pg_url, registry, slack, i) for i in range(3)]
        try:
            deadline = time.monotonic() + 60
            while scalar(pg_url, "SELECT count(*) FROM check_results") < CONTRACTS // 5:
                assert time.monotonic() < deadline, "the replicas never started checking"
                time.sleep(0.05)
            procs[0].send_signal(signal.SIGKILL)  # in the middle of the sweep
            procs[0].wait(timeout=10)
            deadline = time.monotonic() + 90
            unsent = "SELECT count(*) FROM outbox WHERE status <> 'sent'"
            while True:  # every alert delivered, including any the dead replica was sending
                roots = [r for r in slack.calls("chat.postMessage") if "thread_ts" not in r.body]
                done = len(roots) >= CONTRACTS and scalar(pg_url, unsent) == 0
                if done or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            time.sleep(2)  # anything extra (a duplicate) would arrive now
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=20)
        roots = [r for r in slack.calls("chat.postMessage") if "thread_ts" not in r.body]
        print(
            "roots",
            len(roots),
            "checks",
            scalar(pg_url, "SELECT count(*) FROM check_results"),
            "alerts",
            scalar(pg_url, "SELECT count(*) FROM alerts"),
            "outbox",
            scalar(pg_url, "SELECT count(*) FROM outbox WHERE status <> 'sent'"),
        )
        odd = [
            (r.headers.get("content-length"), r.raw[:200]) for r in roots if "channel" not in r.body
        ]
        assert not odd, f"a post without a channel: {odd}"
        per_channel = Counter(r.body["channel"] for r in roots)
        assert len(per_channel) == CONTRACTS, "missed alerts"
        assert max(per_channel.values()) == 1, "duplicate alerts"
        checks = scalar(pg_url, "SELECT count(*) FROM check_results")
        per_contract = scalar(
            pg_url,
            "SELECT max(n) FROM (SELECT count(*) AS n FROM check_results GROUP BY contract_id) t",
        )
        assert checks == CONTRACTS  # each due check ran once, the dead replica's by others
        assert per_contract == 1
        assert scalar(pg_url, "SELECT count(*) FROM alerts") == CONTRACTS
