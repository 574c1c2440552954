"""`demarc validate` and `demarc whoowns` start fast: they never import the database, Slack,
the scheduler or HTTP (about 0.3 s of SQLAlchemy alone), which only other commands need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.check_process import check_lines, one_contract_registry

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
    registry = one_contract_registry(tmp_path / "registry", "orders")
    lines = check_lines(
        registry,
        f"sqlite:///{db}",
        "gc.isenabled()",
        "'sqlalchemy' in sys.modules",
        f"sorted(m for m in sys.modules if m in {NOT_FOR_CHECK!r} or "
        f"m.split('.')[0] in {NOT_FOR_CHECK!r})",
    )
    assert lines == ["0 1", "True", "True", "[]"]
