"""`demarc check` and `demarc status` against real databases (SQLite and PostgreSQL).

The warehouse tables live in the test database; the contracts' SQL probes reach them through
WAREHOUSE_URL, as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.db.models import ContractStatus
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import TEAMS_ON_CALL, create_load_tables, running

ASSETS = """\
assets:
  - {id: orders, kind: source, owner: data_engineering}
  - {id: events, kind: source, owner: data_engineering}
  - {id: refunds, kind: source, owner: data_engineering}
"""
TEAMS = TEAMS_ON_CALL + ASSETS


def contract(name: str, table: str) -> str:
    return f"""\
data_source: {name}
owner_team: data_engineering
consumer_teams: [mlops_churn]
freshness: {{warn_after: 1 hour, error_after: 2 hours}}
probe: {{sql: {{connection: WAREHOUSE_URL, table: {table}, timestamp_column: loaded_at}}}}
"""


FRESH, STALE, GHOST = "orders", "events", "refunds"


def write_registry(directory: Path, *, ghost: bool = False) -> Path:
    files = {
        "teams.yaml": TEAMS,
        "orders.yaml": contract(FRESH, "orders_raw"),
        "events.yaml": contract(STALE, "events_raw"),
    }
    if ghost:  # its table is never created
        files["refunds.yaml"] = contract(GHOST, "refunds_raw")
    return worlds.write_registry(directory, files)


def create_tables(url: str, loads: dict[str, datetime]) -> None:
    engine = create_engine(url)
    try:
        tables = create_load_tables(engine, loads, column="loaded_at")
        with engine.begin() as conn:
            for name, at in loads.items():
                conn.execute(tables[name].insert().values(loaded_at=at))
    finally:
        engine.dispose()


def rows(out: str) -> dict[str, list[str]]:
    """The table's body rows by contract id, split on the two-space column gaps."""
    body = out.strip().splitlines()[2:]
    return {
        line.split()[0]: [cell.strip() for cell in line.split("  ") if cell.strip()]
        for line in body
    }


@pytest.fixture
def warehouse(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WAREHOUSE_URL", database_url)
    monkeypatch.delenv("DEMARC_REGISTRY", raising=False)
    monkeypatch.delenv("DEMARC_DATABASE_URL", raising=False)
    return database_url


# ---------------------------------------------------------------------- check
@pytest.fixture
def loaded(warehouse: str) -> datetime:
    now = datetime.now(UTC)
    create_tables(
        warehouse,
        {"orders_raw": now - timedelta(minutes=1), "events_raw": now - timedelta(days=3)},
    )
    return now


@pytest.mark.usefixtures("loaded")
def test_check_reports_the_stale_table_late(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path / "registry")
    assert main(["check", "--registry", str(registry)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split() == ["contract", "state", "last", "update", "detail"]
    table = rows(out)
    assert set(table) == {FRESH, STALE}
    assert table[STALE][1] == "LATE"
    assert table[FRESH][1] == "on time"
    assert table[STALE][2].endswith(" UTC")
    assert err == ""


@pytest.mark.usefixtures("loaded")
def test_check_only_the_fresh_contract_is_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path / "registry")
    assert main(["check", "--registry", str(registry), "--contract", FRESH]) == 0
    table = rows(capsys.readouterr().out)
    assert list(table) == [FRESH]
    assert table[FRESH][1] == "on time"


@pytest.mark.usefixtures("loaded")
def test_check_an_unknown_contract_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path / "registry")
    args = ["check", "--registry", str(registry), "--contract", FRESH, "--contract", "nope"]
    assert main(args) == 3
    out, err = capsys.readouterr()
    assert err.strip() == "demarc check: error: unknown contract(s): nope"
    assert out == ""  # nothing was probed


@pytest.mark.usefixtures("loaded")
def test_check_a_missing_table_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path / "registry", ghost=True)
    assert main(["check", "--registry", str(registry), "--contract", GHOST]) == 2
    table = rows(capsys.readouterr().out)
    assert table[GHOST][1:3] == ["CHECK FAILED", "-"]
    # A failed check outranks a late one: the whole sweep exits 2.
    assert main(["check", "--registry", str(registry)]) == 2
    table = rows(capsys.readouterr().out)
    assert {k: v[1] for k, v in table.items()} == {
        FRESH: "on time",
        STALE: "LATE",
        GHOST: "CHECK FAILED",
    }


def test_check_on_an_invalid_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = write_registry(tmp_path / "registry")
    (registry / "events.yaml").write_text(
        contract(STALE, "events_raw").replace("1 hour", "1 parsec")
    )
    assert main(["check", "--registry", str(registry)]) == 3  # not "late" (1)
    out, err = capsys.readouterr()
    assert out == ""
    assert "events.yaml:" in err
    assert "the registry has 1 error(s)" in err


# ---------------------------------------------------------------------- status
T = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def recorded(warehouse: str, tmp_path: Path) -> str:
    """A database where the freshness service has checked both contracts at T."""
    create_tables(
        warehouse,
        {"orders_raw": T - timedelta(minutes=1), "events_raw": T - timedelta(days=3)},
    )
    registry = write_registry(tmp_path / "registry")
    with FakeSlack() as slack:
        with running(registry, warehouse, slack, lambda: T) as services:
            reports = services.freshness.check()
        assert {r.contract.id: r.evaluation.state.value for r in reports} == {
            FRESH: "on_time",
            STALE: "late",
        }
        assert slack.requests == []  # checked and queued; nothing delivered
    return warehouse


def test_status_lists_each_contract_with_its_state_and_next_check(
    recorded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--database-url", recorded]) == 0
    out = capsys.readouterr().out
    headers = out.splitlines()[0]
    assert headers.split("  ")[0] == "contract"
    for title in ("state", "last update", "checked", "next check", "error", "quality"):
        assert title in headers
    table = rows(out)
    assert set(table) == {FRESH, STALE}
    assert table[FRESH] == [
        FRESH,
        "on time",
        "2026-11-25 09:59 UTC",  # last update
        "2026-11-25 10:00 UTC",  # checked
        "2026-11-25 10:59 UTC",  # next check: when it would pass warn_after (then error)
        "-",  # quality: never checked
    ]
    assert table[STALE] == [
        STALE,
        "LATE",
        "2026-11-22 10:00 UTC",
        "2026-11-25 10:00 UTC",
        "2026-11-25 10:10 UTC",  # late: look again after the recheck interval
        "-",
    ]


def test_status_reads_the_database_url_from_the_environment(
    recorded: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEMARC_DATABASE_URL", recorded)
    assert main(["status"]) == 0
    assert set(rows(capsys.readouterr().out)) == {FRESH, STALE}


def test_status_on_an_empty_database(warehouse: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--database-url", warehouse]) == 0
    out, _ = capsys.readouterr()
    assert out.strip() == "no checks recorded yet: run `demarc serve` (or `demarc demo`) first"
    engine = create_engine(warehouse)
    try:
        with Session(engine) as session:  # migrated on the way, and still empty
            assert session.scalars(select(ContractStatus)).all() == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- no probe
UNPROBED = """\
data_source: refunds
owner_team: data_engineering
consumer_teams: [mlops_churn]
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
"""


@pytest.mark.usefixtures("loaded")
def test_a_contract_without_a_probe_is_listed_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path / "registry")
    (registry / "refunds.yaml").write_text(UNPROBED)
    args = ["check", "--registry", str(registry), "--contract", FRESH, "--contract", GHOST]
    assert main(args) == 0  # only the probed one decides the exit code
    table = rows(capsys.readouterr().out)
    assert table[GHOST][1] == "not checked"
    assert table[FRESH][1] == "on time"


def test_the_service_never_checks_or_alerts_a_contract_without_a_probe(
    warehouse: str, tmp_path: Path
) -> None:
    create_tables(warehouse, {"orders_raw": T - timedelta(minutes=1)})
    registry = worlds.write_registry(
        tmp_path / "registry",
        {
            "teams.yaml": TEAMS,
            "orders.yaml": contract(FRESH, "orders_raw"),
            "refunds.yaml": UNPROBED,
        },
    )
    with FakeSlack() as slack:
        with running(registry, warehouse, slack, lambda: T) as services:
            for _ in range(4):  # more than the failures it takes to say "can't check"
                reports = services.freshness.check()
                assert [r.contract.id for r in reports] == [FRESH]
            with Session(services.engine) as session:
                ids = session.scalars(select(ContractStatus.contract_id)).all()
        assert ids == [FRESH]
