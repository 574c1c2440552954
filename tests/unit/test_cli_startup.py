"""`demarc validate` and `demarc whoowns` start fast: they never import the database, Slack,
the scheduler or HTTP (about 0.3 s of SQLAlchemy alone), which only other commands need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "registry"
HEAVY = ("sqlalchemy", "alembic", "slack_bolt", "slack_sdk", "apscheduler", "httpx", "waitress")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["validate", str(EXAMPLES)], 0),
        (["whoowns", "customer_age", "--registry", str(EXAMPLES)], 0),
        (["whoowns", "no_such_asset_anywhere", "--registry", str(EXAMPLES)], 1),
    ],
)
def test_the_quick_commands_import_no_adapter_library(argv: list[str], expected: int) -> None:
    code = (
        "import contextlib, io, sys\n"
        "from bot.cli.main import main\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        f"    code = main({argv!r})\n"
        "print(code)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [str(expected), "[]"]


NOT_FOR_CHECK = (
    "holidays", "alembic", "slack_bolt", "slack_sdk", "apscheduler", "httpx", "waitress",
    "bot.cli.diff", "ownership.diff", "ownership.changes", "ownership.answers", "tarfile",
    "rapidfuzz", "croniter",
)  # fmt: skip


def test_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    """`demarc check` on SQL probes: SQLAlchemy, yes; no calendar of holidays when no
    calendar names a country, no database migrations, Slack, or the diff machinery."""
    import sqlite3

    db = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (updated_at TEXT)")
        conn.execute("INSERT INTO orders VALUES (datetime('now'))")
    registry = tmp_path / "registry"
    registry.mkdir()
    (registry / "teams.yaml").write_text((EXAMPLES / "teams.yaml").read_text(), encoding="utf-8")
    (registry / "orders.yaml").write_text(
        "data_source: orders\nowner_team: data_engineering\n"
        'freshness: {warn_after: "12 hours", error_after: "24 hours"}\n'
        "probe: {sql: {connection: WAREHOUSE_URL, table: orders, timestamp_column: updated_at}}\n"
    )
    code = (
        "import contextlib, gc, io, sys\n"
        "from bot.cli.entry import main\n"  # the `demarc` executable's entry point
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        f"    code = main(['check', '--registry', {str(registry)!r}, '--json'])\n"
        "print(code, quiet.getvalue().count('on_time'), gc.isenabled())\n"
        "print('sqlalchemy' in sys.modules)\n"
        f"print(sorted(m for m in sys.modules if m in {NOT_FOR_CHECK!r} or "
        f"m.split('.')[0] in {NOT_FOR_CHECK!r}))\n"
    )
    env = {**os.environ, "WAREHOUSE_URL": f"sqlite:///{db}"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.splitlines() == ["0 1 True", "True", "[]"], out.stderr
