"""Reload reports name the real error: root causes first, knock-ons summarised; a loader that
crashes is reported, once, and never kills the poller or the reload."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.registry.holder import RegistryHolder
from bot.registry.reload import Reloader, render_errors, render_failure, render_refusal
from ownership.errors import RegistryInvalid
from ownership.loader import LoadResult, load_registry
from tests.conftest import EXAMPLE_REGISTRY
from tests.unit.test_loader import break_teams


def test_a_syntax_error_in_teams_is_shown_not_buried_under_its_knock_ons(tmp_path: Path) -> None:
    teams = break_teams(tmp_path)
    problems = load_registry(tmp_path).problems
    errors = [p for p in problems if p.is_error]
    assert len(errors) > 40  # the "Reload failed with 49 error(s)"
    text = render_failure(problems, "files changed")
    assert f"{teams}:46:7: error: invalid YAML" in text
    assert "is not a team" not in text
    assert f"{len(errors) - 1} references to teams from {teams}, which failed to parse" in text
    assert f"failed with 1 error(s) (and {len(errors) - 1} that follow from it)" in text
    refusal = render_refusal(problems, 15)
    assert refusal.startswith("Reload failed with 1 error(s) (and ")
    assert f"{teams}:46:7" in refusal


def test_root_causes_beyond_the_limit_are_counted(tmp_path: Path) -> None:
    assets = "".join(f"  - {{id: a{i}, kind: table, owner: nobody{i}}}\n" for i in range(5))
    (tmp_path / "a.yaml").write_text("assets:\n" + assets)
    text = render_errors(load_registry(tmp_path).problems, limit=2)
    assert text.count("is not a team") == 2
    assert "… and 3 more" in text


def crashing_loader(path: Path) -> LoadResult:
    raise OSError(36, "File name too long")


def test_a_crashing_loader_is_an_internal_error_at_start_and_on_reload(tmp_path: Path) -> None:
    with pytest.raises(RegistryInvalid) as caught:
        RegistryHolder.from_path(EXAMPLE_REGISTRY, loader=crashing_loader)
    [problem] = caught.value.problems
    assert problem.code == "internal-error"
    assert f"internal error while loading {EXAMPLE_REGISTRY}: OSError" in problem.message
    holder = RegistryHolder.from_path(EXAMPLE_REGISTRY)
    holder._loader = crashing_loader
    before = holder.registry
    [problem] = holder.reload()
    assert "File name too long" in problem.message
    assert holder.registry is before


def test_the_poller_reports_a_failure_once_per_state_of_the_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "registry"
    root.mkdir()
    (root / "a.yaml").write_text("assets:\n  - {id: a, kind: table}\n")
    holder = RegistryHolder.from_path(root)
    holder._loader = crashing_loader
    reloader = Reloader(holder, None, lambda: datetime(2026, 12, 1, tzinfo=UTC))
    reloader.poll_once(first=True)
    caplog.set_level(logging.ERROR)
    (root / "a.yaml").write_text("assets:\n  - {id: b, kind: table}\n")
    for _ in range(5):  # the poller's ticks: the files changed once
        reloader.poll_once()
    crashes = [r for r in caplog.records if r.name == "bot.registry.holder"]
    assert len(crashes) == 1
    assert crashes[0].exc_info is not None  # the traceback is logged, once
    failures = [r for r in caplog.records if "reload (files changed) failed" in r.getMessage()]
    assert len(failures) == 1


def test_an_exception_in_a_poll_is_logged_once_and_the_poller_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "registry"
    root.mkdir()
    (root / "a.yaml").write_text("assets: []\n")
    holder = RegistryHolder.from_path(root)
    reloader = Reloader(holder, None, lambda: datetime(2026, 12, 1, tzinfo=UTC))
    calls = []

    def broken_reload(reason: str) -> list[object]:
        calls.append(reason)
        raise RuntimeError("admin channel unreachable")

    reloader.reload = broken_reload  # type: ignore[method-assign,assignment]
    reloader.poll_once(first=True)
    caplog.set_level(logging.ERROR)
    (root / "a.yaml").write_text("assets: [] \n")
    for _ in range(3):
        reloader.poll_once()
    logged = [r for r in caplog.records if "internal error while polling" in r.getMessage()]
    assert len(logged) == 1
    assert len(calls) == 3  # it tried again each tick; it said so once
    reloader.poll_once()  # returns: the job is alive, not dead
