"""The command-line side of formats and change policy: validate --lenient, notices, drift;
and the periodic runner the bot uses for notices and drift checks."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "formats"


def test_validate_lenient_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "teams.yaml", tmp_path)
    shutil.copy(FIXTURES / "odcs" / "lenient.odcs.yaml", tmp_path)
    assert main(["validate", str(tmp_path)]) == 1
    capsys.readouterr()
    assert main(["validate", "--lenient", str(tmp_path)]) == 0
    assert "ignored (lenient mode): ODCS: 'isNullable'" in capsys.readouterr().out


def test_formats_example_validates_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", str(EXAMPLE)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().err


def test_notices_lists_effective_dates_and_what_is_due(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["notices", "--registry", str(EXAMPLE), "--today", "2026-12-14"]) == 0
    out = capsys.readouterr().out
    assert "orders@2026-11-20  2026-11-20  2026-12-20  #data-changes  announce, remind-7" in out


def test_drift_command_reports_without_posting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE fresh_events (loaded_at TIMESTAMP, id INTEGER)")
    reg = tmp_path / "registry"
    reg.mkdir()
    shutil.copy(FIXTURES / "teams.yaml", reg)
    (reg / "_sources.yml").write_text(
        "version: 2\n"
        "sources:\n"
        "  - name: raw\n"
        "    schema: main\n"
        "    meta: {owner: data_engineering, demarc: {connection: WAREHOUSE_URL}}\n"
        "    tables:\n"
        "      - name: fresh_events\n"
        "        loaded_at_field: loaded_at\n"
        "        freshness: {error_after: {count: 1, period: day}}\n"
        "        columns:\n"
        "          - {name: id, data_type: integer}\n"
        "          - {name: payload, data_type: varchar}\n"
    )
    monkeypatch.setenv("WAREHOUSE_URL", f"sqlite:///{db}")
    code = main(["drift", "--registry", str(reg)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "raw.fresh_events" in out
    assert "column payload is missing" in out
    monkeypatch.delenv("WAREHOUSE_URL")
    assert main(["drift", "--registry", str(reg)]) == 2
    assert "environment variable WAREHOUSE_URL is not set" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("orders", "Contract orders: daily, due 06:00 UTC, late after 06:00 UTC"),
        ("stripe.invoices", "Contract stripe.invoices: warn after 12 h, error after 1 d"),
    ],
)
def test_whoowns_answers_odcs_and_dbt_contracts(
    query: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = "2026-11-25T12:00:00+00:00"
    assert main(["whoowns", query, "--registry", str(EXAMPLE), "--at", at]) == 0
    out = capsys.readouterr().out
    assert words in out
    assert "R/A  Data Engineering" in out
