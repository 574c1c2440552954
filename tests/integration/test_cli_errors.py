"""Every `demarc` subcommand given bad arguments: one line on stderr, the documented exit code
(README, "Exit codes"), never a traceback and never a database password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.db.migrate import upgrade
from tests.conftest import EXAMPLE_REGISTRY, REPO_ROOT

SECRET = "s3cr3t-pw"
USAGE = 3
EX = str(EXAMPLE_REGISTRY)


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.delenv("DEMARC_REGISTRY", raising=False)
    monkeypatch.delenv("DEMARC_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    empty_db = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    demarc_db = f"sqlite:///{tmp_path / 'demarc.sqlite3'}"
    upgrade(demarc_db)
    (tmp_path / "not.json").write_text("{nope")
    (tmp_path / "sources.json").write_text('{"results": [{"unique_id": 5}]}')
    (tmp_path / "empty.json").write_text('{"results": []}')
    return {
        "nowhere": str(tmp_path / "nowhere"),
        "empty_dir": str(tmp_path),
        "empty_db": empty_db,
        "demarc_db": demarc_db,
        "not_json": str(tmp_path / "not.json"),
        "bad_results": str(tmp_path / "sources.json"),
        "no_results": str(tmp_path / "empty.json"),
        "no_dir_output": str(tmp_path / "no" / "such" / "pm.md"),
    }


CASES: list[tuple[str, list[str], str]] = [
    # (id, argv with {placeholders}, a phrase of the one-line error)
    ("no-command", [], "required: COMMAND"),
    ("unknown-command", ["frobnicate"], "invalid choice"),
    ("validate-missing", ["validate", "{nowhere}"], "no such file or directory"),
    ("validate-empty", ["validate", "{empty_dir}"], "no .yaml or .yml files"),
    ("whoowns-no-query", ["whoowns"], "the following arguments are required"),
    ("whoowns-missing-registry", ["whoowns", "x", "--registry", "{nowhere}"], "no such file"),
    ("whoowns-bad-at", ["whoowns", "customer_age", "--registry", EX, "--at", "yesterday"],
     "--at 'yesterday' is not an ISO time"),
    ("demo-missing-registry", ["demo", "--registry", "{nowhere}"], "no such file"),
    ("serve-bad-port", ["serve", "--port", "http"], "invalid int value"),
    ("check-missing-registry", ["check", "--registry", "{nowhere}"], "no such file"),
    ("check-unknown-contract", ["check", "--registry", EX, "--contract", "custmer_master_db"],
     "unknown contract(s): custmer_master_db"),
    ("check-bad-threads", ["check", "--threads", "many"], "invalid int value"),
    ("drift-unknown-contract", ["drift", "--registry", EX, "--contract", "custmer_master_db"],
     "did you mean 'customer_master_db'?"),
    ("drift-missing-registry", ["drift", "--registry", "{nowhere}"], "no such file"),
    ("notices-bad-today", ["notices", "--registry", EX, "--today", "2026-13-01"],
     "--today '2026-13-01' is not a date"),
    ("diff-bad-today", ["diff", EX, EX, "--today", "soon"], "--today 'soon' is not a date"),
    ("diff-missing-sides", ["diff", "{nowhere}", "{nowhere}"], "nowhere"),
    ("status-bad-url", ["status", "--database-url", "nonsense"], "cannot use database"),
    ("db-upgrade-unparsable-url", ["db", "upgrade", "--database-url", "nonsense"],
     "Could not parse SQLAlchemy URL"),
    ("db-upgrade-refused", ["db", "upgrade", "--database-url",
                            f"postgresql+psycopg://demarc:{SECRET}@127.0.0.1:1/x"],
     "postgresql+psycopg://demarc:***@127.0.0.1:1/x"),
    ("db-upgrade-unknown-dialect", ["db", "upgrade", "--database-url",
                                    f"nosuchdb://u:{SECRET}@h/x"], "Can't load plugin"),
    ("db-upgrade-missing-driver", ["db", "upgrade", "--database-url",
                                   f"mysql://u:{SECRET}@h/x"], "No module named"),
    ("db-upgrade-unopenable", ["db", "upgrade", "--database-url",
                               "sqlite:////no/such/dir/x.sqlite3"], "unable to open database"),
    ("incident-bad-id", ["incident", "export", "twelve"], "invalid int value"),
    ("incident-not-demarc-db", ["incident", "export", "1", "--database-url", "{empty_db}"],
     "no incidents in"),
    ("incident-unknown-id", ["incident", "export", "99", "--database-url", "{demarc_db}",
                             "--registry", EX], "no incident #99"),
    ("incident-bad-output", ["incident", "export", "1", "--database-url", "{demarc_db}",
                             "--output", "{no_dir_output}"], "no such directory"),
    ("ingest-missing-file", ["ingest-dbt-results", "{nowhere}", "--registry", EX],
     "cannot read"),
    ("ingest-not-json", ["ingest-dbt-results", "{not_json}", "--registry", EX], "not JSON"),
    ("ingest-bad-results", ["ingest-dbt-results", "{bad_results}", "--registry", EX],
     "has no unique_id"),
    ("ingest-bad-max-age", ["ingest-dbt-results", "{no_results}", "--registry", EX,
                            "--max-age-hours", "-1"], "--max-age-hours -1 must be positive"),
]


@pytest.mark.parametrize(("argv", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_arguments_give_one_line_and_exit_3(
    argv: list[str], phrase: str, places: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([arg.format(**places) for arg in argv])
    out, err = capsys.readouterr()
    assert code == USAGE, (out, err)
    assert "Traceback" not in out + err
    assert SECRET not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert phrase in lines[0], err
    assert lines[0].startswith("demarc") or lines[0].startswith("unknown contract"), err


def test_a_registry_with_errors_lists_root_causes_then_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c.yaml").write_text("data_source: x\nowner_team: nobody\n")
    assert main(["whoowns", "x", "--registry", str(tmp_path)]) == USAGE
    out, err = capsys.readouterr()
    assert out == ""
    *problems, last = err.strip().splitlines()
    assert problems
    assert all(":" in p and "error:" in p for p in problems)
    assert last.startswith(f"demarc whoowns: error: {tmp_path}: the registry has")


def test_an_unknown_asset_is_a_finding_not_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["whoowns", "no_such_asset_anywhere", "--registry", EX]) == 1


def test_a_crash_inside_a_command_is_one_line_and_exit_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.delenv("DEMARC_DEBUG", raising=False)
    monkeypatch.setattr("ownership.answers.who_owns", broken)  # what the command imports
    assert main(["whoowns", "customer_age", "--registry", EX]) == 4
    _, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "demarc whoowns: internal error: RuntimeError: a bug (a bug in demarc; DEMARC_DEBUG=1 "
        "shows where)"
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["db", "upgrade", "--database-url", f"postgresql://demarc:{SECRET}@127.0.0.1:1/x"],
        ["whoowns", "customer_age", "--registry", EX, "--at", "2026-99-99"],
    ],
    ids=["db-upgrade-refused", "whoowns-bad-at"],
)
def test_the_installed_entry_point_prints_no_traceback(argv: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == USAGE, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
