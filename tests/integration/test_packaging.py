"""The package installs as the container installs it (a wheel, not the source tree) and works:
migrations ship inside it, and the console entry point runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_what_serve_needs(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    [wheel] = wheels.glob("demarc-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    db = tmp_path / "db.sqlite3"
    code = (
        "import bot, migrations, sys; "
        "assert bot.__file__.startswith(sys.argv[1]), bot.__file__; "
        "from bot.cli import main; "
        "sys.exit(main(['db', 'upgrade', '--database-url', 'sqlite:///' + sys.argv[2]]))"
    )
    run = subprocess.run([sys.executable, "-c", code, str(target), str(db)],
                         cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "latest revision" in run.stderr
    versions = {p.name for p in (target / "migrations" / "versions").glob("0*.py")}
    assert {p.name for p in (ROOT / "migrations" / "versions").glob("0*.py")} == versions


def test_dockerfile_runs_serve_as_non_root_with_a_health_check() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER demarc" in text
    assert "HEALTHCHECK" in text
    assert "/healthz" in text
    assert 'CMD ["demarc", "serve"]' in text
    assert '".[postgres]"' in text  # installs from pyproject.toml, with the PostgreSQL driver
