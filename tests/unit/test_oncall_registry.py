"""The registry's on-call fields: `oncall_schedule` (kept elsewhere) and `oncall_usergroup`,
with file:line:col for every mistake."""

from __future__ import annotations

from pathlib import Path

from ownership.loader import load_registry
from ownership.model import ScheduleSource, Team, UserGroup

TEAM = """teams:
  - id: t
    name: T
    slack: {{oncall_usergroup: {{id: S0TONCALL, handle: "@t-oncall"}}}}
    members: [{{name: Ana, slack: U0ANA0001, email: ana@company.com}}]
    oncall_schedule: {schedule}
"""


def load(tmp_path: Path, schedule: str) -> tuple[Team | None, list[str]]:
    (tmp_path / "teams.yaml").write_text(TEAM.format(schedule=schedule), encoding="utf-8")
    result = load_registry(tmp_path)
    errors = [str(p).split("teams.yaml:", 1)[-1] for p in result.problems if p.is_error]
    team = result.registry.teams["t"] if result.registry else None
    return team, errors


def test_schedule_sources_load(tmp_path: Path) -> None:
    team, errors = load(tmp_path, "{kind: pagerduty, id: PABC123, token: env:PD_TOKEN}")
    assert errors == []
    assert team.schedule == ScheduleSource(  # type: ignore[attr-defined]
        "pagerduty",
        "https://api.pagerduty.com",
        "PABC123",
        "env:PD_TOKEN",
        team.schedule.source,  # type: ignore[attr-defined]
    )
    assert team.oncall_usergroup == UserGroup("S0TONCALL", "t-oncall")  # type: ignore[attr-defined]
    team, errors = load(tmp_path, '{kind: ical, url: "env:ONCALL_FEED_URL"}')
    assert errors == []
    assert team is not None
    assert team.schedule is not None
    assert team.schedule.url == "env:ONCALL_FEED_URL"


def test_schedule_mistakes_are_pointed_at(tmp_path: Path) -> None:
    _, errors = load(tmp_path, "{kind: pagerduty, id: PABC123, token: s3cr3t}")
    assert errors == [
        "6:60: error: team 't' oncall_schedule token must be 'env:VARIABLE' so no secret is"
        " kept in YAML [bad-value]"
    ]
    _, errors = load(tmp_path, "{kind: victorops}")
    assert errors == [
        "6:29: error: team 't' oncall_schedule kind must be one of ical, pagerduty, opsgenie"
        " [bad-value]"
    ]
    _, errors = load(tmp_path, "{kind: opsgenie}")
    assert errors == [
        "6:22: error: team 't' oncall_schedule of kind opsgenie needs 'id' and 'token'"
        " [missing-field]"
    ]
    _, errors = load(tmp_path, "{kind: ical}")
    assert errors[0].startswith("6:22: error: team 't' oncall_schedule needs 'url'")
    _, errors = load(tmp_path, "{kind: ical, url: ftp://x, extra: 1}")
    assert any("unknown field 'extra'" in e for e in errors)
    assert any("url must be http(s):// or env:VARIABLE" in e for e in errors)


def test_the_team_group_cannot_be_the_on_call_group(tmp_path: Path) -> None:
    (tmp_path / "teams.yaml").write_text(
        "teams:\n  - id: t\n    slack:\n      usergroup: {id: S0TEAM001}\n"
        "      oncall_usergroup: {id: S0TEAM001}\n",
        encoding="utf-8",
    )
    [error] = [str(p) for p in load_registry(tmp_path).problems if p.is_error]
    assert error.split("teams.yaml:", 1)[1].startswith(
        "5:25: error: team 't' oncall_usergroup is its usergroup"
    )


def test_a_schedule_teams_timezone_loads_and_a_wrong_one_is_pointed_at(tmp_path: Path) -> None:
    team, errors = load(tmp_path, "{kind: ical, url: env:FEED}\n    timezone: Europe/Berlin")
    assert errors == []
    assert team is not None
    assert (team.timezone, team.local_timezone()) == ("Europe/Berlin", "Europe/Berlin")
    team, errors = load(tmp_path, "{kind: ical, url: env:FEED}")
    assert team is not None
    assert team.local_timezone() == "UTC"
    _, errors = load(tmp_path, "{kind: ical, url: env:FEED}\n    timezone: Mars/Olympus")
    assert len(errors) == 1
    assert errors[0].startswith("7:15: error: team 't'")
