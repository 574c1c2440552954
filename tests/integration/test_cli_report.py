"""`demarc report` on a real database: a month's figures as text, JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.db.models import CheckRollup
from tests.conftest import EXAMPLE_REGISTRY


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demarc.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add_all([
            CheckRollup(contract_id="usage_logs", day=date(2026, 11, d), expected_periods=1,
                        on_time_periods=0 if d == 3 else 1, late_periods=1 if d == 3 else 0,
                        downtime_minutes=45 if d == 3 else 0, checks=10, failures=0)
            for d in (2, 3, 4, 5)
        ])
    engine.dispose()
    return url


def run(capsys: pytest.CaptureFixture[str], url: str, *flags: str) -> tuple[int, str, str]:
    code = main(["report", "--database-url", url, "--registry", str(EXAMPLE_REGISTRY), *flags])
    out, err = capsys.readouterr()
    return code, out, err


def test_month_as_text_and_json(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, _ = run(capsys, url, "--month", "2026-11")
    assert code == 0
    assert "SLA report 2026-11-01 to 2026-12-01" in out
    assert "usage_logs  owner data_engineering: on time 75.0% of 4, 1 breach(es)" in out
    code, out, _ = run(capsys, url, "--month", "2026-11", "--format", "json", "--team", "product")
    data = json.loads(out)
    assert [c["contract"] for c in data["contracts"]] == ["churn_features"]
    assert [t["team"] for t in data["teams"]] == ["product"]
    assert len(data["weeks"]) == 6


def test_csv_has_one_header_row_and_iso_dates(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, _ = run(capsys, url, "--since", "2026-11-02", "--until", "2026-11-09",
                       "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0].startswith("since,until,contract,")
    usage = [r for r in rows if r["contract"] == "usage_logs"]
    assert usage[0] == usage[1] | {}  # the week is the whole window here
    assert usage[0]["since"] == "2026-11-02"
    assert usage[0]["until"] == "2026-11-09"
    assert usage[0]["on_time_pct"] == "75.00"
    assert usage[0]["downtime_minutes"] == "45"
    assert all(r["since"] != "since" for r in rows)  # no second header


def test_html_is_one_page(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, out, _ = run(capsys, url, "--month", "2026-11", "--format", "html")
    assert code == 0
    assert out.startswith("<!doctype html>")
    assert "usage_logs" in out


@pytest.mark.parametrize(("flags", "words"), [
    (("--month", "11-2026"), "expected YYYY-MM"),
    (("--month", "2026-11", "--since", "2026-11-01"), "not both"),
    (("--since", "2026-11-09", "--until", "2026-11-02"), "must be after"),
    (("--since", "yesterday"), "expected a date"),
    (("--team", "nobody"), "no such team"),
])
def test_bad_flags_are_usage_errors(capsys: pytest.CaptureFixture[str], url: str,
                                    flags: tuple[str, ...], words: str) -> None:
    code, _, err = run(capsys, url, *flags)
    assert code == 3
    assert words in err
    assert "Traceback" not in err


def test_the_demo_history_gives_a_month_to_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    flags = ["demo", "--history", url, "--registry", str(EXAMPLE_REGISTRY)]
    assert main(flags) == 0
    assert main(flags) == 0  # a second run replaces, never adds up
    capsys.readouterr()
    code, out, _ = run(capsys, url, "--month", "2026-11", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert all(c["expected_periods"] == 30 for c in data["contracts"])
    assert sum(t["open_incidents"] for t in data["teams"]) == 1
    assert any(c["false_alarm_share"] for c in data["contracts"])
