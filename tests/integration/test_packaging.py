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
        "from bot.cli.main import main; "
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


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (instruction, arguments), continuation lines joined."""
    logical, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\") + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical.append(pending.strip())
            pending = ""
    stages: list[list[tuple[str, str]]] = [[]]  # stage 0: ARGs before the first FROM
    for entry in logical:
        instruction, _, arguments = entry.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_dockerfile_pins_the_base_image_by_tag_and_digest() -> None:
    import re

    preamble, *stages = dockerfile_stages()
    args = dict(a.split("=", 1) for i, a in preamble if i == "ARG")
    image = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", image), image
    for stage in stages:
        base = stage[0][1].split()[0]
        assert base == "${PYTHON_IMAGE}", f"unpinned base image {base}"


def test_dockerfile_installs_dependencies_before_the_code() -> None:
    build = dockerfile_stages()[1]
    steps = [f"{i} {a}" for i, a in build]
    copy_pyproject = steps.index("COPY pyproject.toml ./")
    install_deps = next(n for n, s in enumerate(steps) if "install -r requirements.txt" in s)
    code = [n for n, s in enumerate(steps)
            if s.startswith("COPY ") and any(d in s for d in ("ownership", "bot", "migrations"))]
    install_code = next(n for n, s in enumerate(steps) if "install --no-deps ." in s)
    assert copy_pyproject < install_deps < min(code) <= max(code) < install_code
    assert "postgres" in steps[install_deps]  # the PostgreSQL driver is a dependency too


def test_dockerfile_keeps_package_tools_out_of_the_runtime_image() -> None:
    _, build, runtime = dockerfile_stages()
    assert any("venv --without-pip" in a for i, a in build if i == "RUN")
    runtime_steps = " ".join(f"{i} {a}" for i, a in runtime)
    assert "COPY --from=build /opt/demarc /opt/demarc" in runtime_steps
    assert "pip install" not in runtime_steps  # nothing is built or fetched at run time
    uninstall = next(a for i, a in runtime if i == "RUN" and "uninstall" in a)
    assert all(tool in uninstall.split() for tool in ("pip", "setuptools", "wheel"))
