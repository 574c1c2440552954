"""`demarc check --at TIMESTAMP`: the verdicts as of that instant, on the data as it is now."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.integration.test_cli_check_status import (
    FRESH,
    STALE,
    create_tables,
    rows,
    write_registry,
)

FRESH_LOAD = datetime(2026, 11, 25, 9, 59, tzinfo=UTC)
STALE_LOAD = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def registry(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("WAREHOUSE_URL", database_url)
    monkeypatch.delenv("DEMARC_REGISTRY", raising=False)
    create_tables(database_url, {"orders_raw": FRESH_LOAD, "events_raw": STALE_LOAD})
    return write_registry(tmp_path / "registry")


def test_check_at_judges_as_of_that_instant(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--registry", str(registry), "--at", "2026-11-25T10:00:00Z"]) == 1
    table = rows(capsys.readouterr().out)
    assert table[FRESH][1] == "on time"
    assert table[STALE][1] == "LATE"
    assert "3 d" in table[STALE][-1]  # 3 days old at 10:00 on the 25th


def test_check_at_an_earlier_instant_says_newer_data_is_unknown_then(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 30 minutes after the stale table's load it was fresh; the fresh table's load came later.
    assert main(["check", "--registry", str(registry), "--at", "2026-11-22T10:30"]) == 0
    table = rows(capsys.readouterr().out)
    assert table[STALE][1] == "on time"
    assert "updated 30 min ago" in table[STALE][-1]
    assert "updated after 2026-11-22 10:30 UTC" in table[FRESH][-1]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "02:31 tomorrow", ""])
def test_a_bad_at_is_a_one_line_usage_error(
    registry: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert main(["check", "--registry", str(registry), "--at", value]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "--at" in err
    assert "ISO 8601" in err
