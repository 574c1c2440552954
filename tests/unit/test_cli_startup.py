"""`demarc validate` and `demarc whoowns` start fast: they never import the database, Slack,
the scheduler or HTTP (about 0.3 s of SQLAlchemy alone), which only other commands need."""

from __future__ import annotations

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
