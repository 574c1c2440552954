"""`demarc check` on a one-contract registry, in a process of its own: what it imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_REGISTRY


def one_contract_registry(root: Path, table: str) -> Path:
    """The example teams and one contract whose SQL probe reads `table` at $WAREHOUSE_URL."""
    root.mkdir()
    teams = (EXAMPLE_REGISTRY / "teams.yaml").read_text(encoding="utf-8")
    (root / "teams.yaml").write_text(teams, encoding="utf-8")
    (root / "orders.yaml").write_text(
        "data_source: orders\nowner_team: data_engineering\n"
        'freshness: {warn_after: "12 hours", error_after: "24 hours"}\n'
        f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {table}, "
        "timestamp_column: updated_at}}\n"
    )
    return root


def check_lines(registry: Path, warehouse_url: str, *prints: str) -> list[str]:
    """Run `demarc check --json` through the executable's entry point, output silenced; the
    lines printed after: its exit code and how many contracts were on time, then one line
    per expression in `prints` (Python, evaluated in that process: `sys` is imported)."""
    code = (
        "import contextlib, gc, io, sys\n"
        "from bot.cli.entry import main\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        f"    code = main(['check', '--registry', {str(registry)!r}, '--json'])\n"
        "print(code, quiet.getvalue().count('on_time'))\n"
        + "".join(f"print({expression})\n" for expression in prints)
    )
    env = {**os.environ, "WAREHOUSE_URL": warehouse_url}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout, out.stderr
    return out.stdout.splitlines()
