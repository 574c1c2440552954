"""A sweep where nothing changes costs a few statements per chunk, not ~6 per contract, and
still records every check; a late contract among them keeps its per-contract alert path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, CheckResult, ContractStatus
from ownership.sla import FreshnessState
from tests.fakes.fake_slack import FakeSlack
from tests.integration.worlds import (
    TEAMS_ON_CALL,
    Clock,
    create_load_tables,
    running,
    write_registry,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NAMES = [f"feed_{i:02d}" for i in range(12)]


def _registry(tmp_path: Path) -> Path:
    assets = "assets:\n" + "".join(
        f"  - {{id: {n}, kind: source, owner: data_engineering}}\n" for n in NAMES
    )
    files = {"teams.yaml": TEAMS_ON_CALL + assets}
    for n in NAMES:
        files[f"contracts/{n}.yaml"] = (
            f"data_source: {n}\nowner_team: data_engineering\n"
            "freshness: {warn_after: 1 hour, error_after: 2 hours}\n"
            f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {n}, "
            "timestamp_column: updated_at}}\n"
        )
    return write_registry(tmp_path / "registry", files)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, Clock]]:
    clock = Clock(NOW)
    with FakeSlack() as slack, running(_registry(tmp_path), database_url, slack, clock) as s:
        tables = create_load_tables(s.engine, NAMES)
        with s.engine.begin() as conn:
            for n, table in tables.items():
                age = timedelta(hours=5) if n == "feed_00" else timedelta(minutes=10)
                conn.execute(table.insert().values(updated_at=NOW - age))
        yield s, clock


def test_a_sweep_that_changes_nothing_costs_a_few_statements(world: tuple[Any, Clock]) -> None:
    services, clock = world
    engine = services.engine
    first = services.freshness.check()
    states = {r.contract.id: r.evaluation.state for r in first}
    assert states.pop("feed_00") is FreshnessState.LATE
    assert set(states.values()) == {FreshnessState.ON_TIME}

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    clock.advance(minutes=5)
    again = services.freshness.check()
    event.remove(engine, "before_cursor_execute", count)
    # 11 quiet contracts: statuses, open alerts, silences, the check rows and the statuses
    # written in a handful of statements (6 each, 66, before); feed_00 stays late on its own path
    assert len(statements) < 40, statements
    assert {r.contract.id: r.evaluation.state for r in again} == {
        **dict.fromkeys(NAMES[1:], FreshnessState.ON_TIME),
        "feed_00": FreshnessState.LATE,
    }
    with Session(engine) as session:
        checks = session.scalar(select(func.count()).select_from(CheckResult))
        statuses = {s.contract_id: s for s in session.scalars(select(ContractStatus))}
        [alert] = session.scalars(select(Alert))
    assert checks == 24
    assert {s.checked_at for s in statuses.values()} == {clock.now}
    assert all(s.state == "on_time" for n, s in statuses.items() if n != "feed_00")
    assert statuses["feed_00"].state == "late"
    assert (alert.contract_id, alert.status, alert.checked_at) == ("feed_00", "open", clock.now)
    for report in again:
        if report.contract.id != "feed_00":  # on time: next look when it could turn warn
            assert statuses[report.contract.id].next_check_at == report.next_check_at


def test_a_chunk_that_cannot_be_written_loses_no_other_check(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL refuses a contract id longer than its column: that chunk's one transaction
    fails, and each of its checks is recorded on its own instead (the bad one as failed)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite does not enforce the column's length")
    long_id = "feed_" + "x" * 200  # contract_id is VARCHAR(200)
    root = _registry(tmp_path)
    (root / "teams.yaml").write_text(
        (root / "teams.yaml").read_text()
        + f"  - {{id: {long_id}, kind: source, owner: data_engineering}}\n"
    )
    (root / "contracts" / "long.yaml").write_text(
        f"data_source: {long_id}\nowner_team: data_engineering\n"
        "freshness: {warn_after: 1 hour, error_after: 2 hours}\n"
        "probe: {sql: {connection: WAREHOUSE_URL, table: feed_01, timestamp_column: updated_at}}\n"
    )
    clock = Clock(NOW)
    with FakeSlack() as slack, running(root, database_url, slack, clock) as services:
        tables = create_load_tables(services.engine, NAMES)
        with services.engine.begin() as conn:
            for table in tables.values():
                conn.execute(table.insert().values(updated_at=NOW - timedelta(minutes=10)))
        reports = {r.contract.id: r for r in services.freshness.check()}
        with Session(services.engine) as session:
            checked = set(session.scalars(select(CheckResult.contract_id)))
    assert "recording 13 checks at once failed, one by one now" in caplog.text
    assert checked == set(NAMES)
    assert {reports[n].evaluation.state for n in NAMES} == {FreshnessState.ON_TIME}
    bad = reports[long_id].evaluation
    assert bad.state is FreshnessState.CHECK_FAILED
    assert bad.error is not None
    assert bad.error.startswith("the check could not be recorded")
