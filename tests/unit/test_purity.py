"""The domain knows no Slack: importing every ownership module pulls in no I/O library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ownership

FORBIDDEN = ("slack_bolt", "slack_sdk", "sqlalchemy", "apscheduler", "httpx", "psycopg", "bot")


def test_ownership_imports_no_adapter_library() -> None:
    root = Path(ownership.__file__).parent
    modules = sorted(
        "ownership." + ".".join(p.relative_to(root).with_suffix("").parts)
        for p in root.rglob("*.py")
        if p.name != "__init__.py"
    )
    assert len(modules) > 10
    code = (
        "import sys\n"
        f"for m in {modules!r}: __import__(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
