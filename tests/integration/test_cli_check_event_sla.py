"""`demarc check` judges an event-relative SLA against its upstream's landing as this run's
probe reads it, even when only the downstream is asked for (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bot.cli.main import main
from tests.integration import worlds
from tests.integration.test_cli_check_status import rows
from tests.integration.test_event_sla import FILES

CRM_LANDS = datetime(2026, 11, 25, 2, 10, tzinfo=UTC)


@pytest.fixture
def registry(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WAREHOUSE_URL", database_url)
    monkeypatch.delenv("DEMARC_REGISTRY", raising=False)
    return worlds.write_registry(tmp_path / "registry", FILES)


def load(url: str, loads: dict[str, list[datetime]]) -> None:
    engine = create_engine(url)
    try:
        tables = worlds.create_load_tables(engine, list(loads))
        with engine.begin() as conn:
            for name, times in loads.items():
                for when in times:
                    conn.execute(tables[name].insert().values(updated_at=when))
    finally:
        engine.dispose()


def test_check_judges_the_downstream_from_the_upstream_landing(
    registry: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load(database_url, {"crm": [CRM_LANDS], "features": [datetime(2026, 11, 25, 1, tzinfo=UTC)]})
    args = ["check", "--registry", str(registry), "--contract", "features"]
    assert main([*args, "--at", "2026-11-25T04:11:00Z"]) == 1  # 2 h after 02:10 passed
    table = rows(capsys.readouterr().out)
    assert table["features"][1] == "LATE"
    assert "crm" not in table  # probed for its landing, not listed
    main([*args, "--at", "2026-11-25T03:00:00Z"])
    assert rows(capsys.readouterr().out)["features"][1] == "pending"


def test_check_says_it_waits_for_an_upstream_without_data(
    registry: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    load(database_url, {"crm": [], "features": [datetime(2026, 11, 25, 1, tzinfo=UTC)]})
    assert main(["check", "--registry", str(registry), "--at", "2026-11-25T04:11:00Z"]) in (0, 1)
    detail = rows(capsys.readouterr().out)["features"][-1]
    assert "waiting for upstream crm to land (it has no data yet)" in detail
