"""A cron schedule that never fires ("0 2 30 2 *", February 30th) is a registry error at the
cron value, not a contract that every check then fails on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main
from ownership.loader import load_registry
from ownership.periods import cron_problem

TEAMS = "teams:\n  - id: t\n    name: T\nassets:\n  - {id: x, kind: source, owner: t}\n"
CONTRACT = """\
data_source: x
owner_team: t
sla: {update_frequency: cron, cron: "%s", max_delay: 30 minutes}
"""


@pytest.mark.parametrize("expr", ["0 2 30 2 *", "0 0 31 4 *", "0 0 31 11 *", "0 0 30-31 2 *"])
def test_a_schedule_that_never_fires_is_named(expr: str) -> None:
    assert cron_problem(expr) == f"'{expr}' never fires: no date matches it"


@pytest.mark.parametrize("expr", ["0 2 29 2 *", "0 0 31 4 1", "0 2 * * 1-5", "*/5 * * * *"])
def test_rare_or_weekday_schedules_are_fine(expr: str) -> None:
    assert cron_problem(expr) is None


@pytest.mark.parametrize("expr", ["61 * * * *", "* * * *", "0 2 * * * *", "nonsense"])
def test_malformed_cron_is_not_valid(expr: str) -> None:
    assert cron_problem(expr) == f"'{expr}' is not a valid cron expression"


def test_validate_rejects_february_30th_at_the_cron_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "teams.yaml").write_text(TEAMS)
    (tmp_path / "x.yaml").write_text(CONTRACT % "0 2 30 2 *")
    [problem] = [p for p in load_registry(tmp_path).errors if p.where.file.endswith("x.yaml")]
    assert "never fires" in problem.message
    column = (CONTRACT % "0 2 30 2 *").splitlines()[2].index('"0 2') + 1
    assert (problem.where.line, problem.where.column) == (3, column)
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"x.yaml:3:{column}:" in out
    assert "'0 2 30 2 *' never fires" in out
