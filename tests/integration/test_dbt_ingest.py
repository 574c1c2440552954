"""`demarc ingest-dbt-results`: a `dbt source freshness` run demarc did not execute opens the
same late-data alerts as its own probes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.db.models import Alert, ContractStatus, OutboxMessage
from tests.integration.worlds import TEAMS_OWNER_ON_CALL, write_registry

SOURCES = """\
version: 2
sources:
  - name: raw
    schema: main
    config:
      meta: {owner: Data Engineering, demarc: {consumer_teams: [mlops_churn]}}
      loaded_at_field: loaded_at
      freshness:
        warn_after: {count: 1, period: hour}
        error_after: {count: 24, period: hour}
    tables:
      - name: fresh_events
      - name: stale_events
      - name: broken_events
"""


def result(table: str, status: str, loaded: datetime | None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"unique_id": f"source.shop.raw.{table}", "status": status}
    if loaded is not None:
        now = datetime.now(UTC)
        row.update(
            max_loaded_at=loaded.isoformat(),
            snapshotted_at=now.isoformat(),
            max_loaded_at_time_ago_in_s=(now - loaded).total_seconds(),
            criteria={},
            adapter_response={},
            timing=[],
            thread_id="Thread-1",
            execution_time=0.1,
        )
    row.update(extra)
    return row


def write(path: Path, results: list[dict[str, Any]], generated: datetime | None = None) -> str:
    at = generated or datetime.now(UTC)
    data = {"metadata": {"generated_at": at.isoformat()}, "results": results, "elapsed_time": 1}
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return write_registry(
        tmp_path / "registry", {"teams.yaml": TEAMS_OWNER_ON_CALL, "_sources.yml": SOURCES}
    )


def run(path: str, registry: Path, url: str, *more: str) -> int:
    return main(
        ["ingest-dbt-results", path, "--registry", str(registry), "--database-url", url, *more]
    )


def test_stale_source_in_dbt_results_opens_one_alert(
    registry: Path, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    path = write(
        tmp_path / "sources.json",
        [
            result("fresh_events", "pass", now - timedelta(minutes=20)),
            result("stale_events", "error", now - timedelta(days=3)),
            result("unknown_events", "pass", now),
        ],
    )
    assert run(path, registry, database_url) == 1  # something is late
    out = capsys.readouterr().out
    assert "raw.stale_events" in out
    assert "LATE" in out
    assert "alert opened" in out
    assert "raw.unknown_events" in out
    assert "no contract with this id" in out
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            [alert] = session.scalars(select(Alert)).all()
            assert (alert.contract_id, alert.status, alert.channel) == (
                "raw.stale_events",
                "open",
                "#data-eng-oncall",
            )
            [root] = session.scalars(select(OutboxMessage)).all()
            assert root.channel == "#data-eng-oncall"
            assert root.is_root
            assert "raw.stale_events is late" in json.loads(root.payload)["text"]
            query = select(ContractStatus.contract_id, ContractStatus.state)
            states = {str(row[0]): row[1] for row in session.execute(query).all()}
            assert states == {"raw.fresh_events": "on_time", "raw.stale_events": "late"}

        assert run(path, registry, database_url) == 1  # the same run again: no second alert
        with Session(engine) as session:
            assert len(session.scalars(select(Alert)).all()) == 1
            methods = [m.method for m in session.scalars(select(OutboxMessage))]
            assert methods == ["chat.postMessage"]  # nothing visible changed: no edit
    finally:
        engine.dispose()


def test_runtime_error_is_a_failed_check(
    registry: Path, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "sources.json",
        [result("broken_events", "runtime error", None, error="relation does not exist")],
    )
    assert run(path, registry, database_url) == 2
    assert "check failed" in capsys.readouterr().out.lower()


def test_old_or_malformed_results_are_refused(
    registry: Path, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(
        tmp_path / "old.json",
        [result("fresh_events", "pass", datetime.now(UTC))],
        generated=datetime.now(UTC) - timedelta(days=2),
    )
    assert run(old, registry, database_url) == 3  # a usage error (README, "Exit codes")
    assert "more than 24 h ago" in capsys.readouterr().err
    assert run(old, registry, database_url, "--max-age-hours", "72") == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": [\n  {"unique_id": }\n]}')
    assert run(str(bad), registry, database_url) == 3
    assert "bad.json:2:" in capsys.readouterr().err
