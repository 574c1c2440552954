"""Shifts now and next, overrides merged in, and "until" as people type it (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from ownership.errors import InvalidValue
from ownership.loader import load_registry
from ownership.model import Override, Person, Registry, Rotation, Team, UserGroup
from ownership.shifts import (
    find_team,
    now_and_next,
    parse_until,
    shift_at,
    take_shift,
    teams_of,
    with_external,
    with_overrides,
)

A, B, C = Person("Ana", "U0ANA0001"), Person("Ben", "U0BEN0001"), Person("Cy", "U0CY00001")
WEEKLY = Rotation((A, B, C), 7, time(9, 0), "Europe/Berlin", date(2026, 1, 5))
CET = timezone(timedelta(hours=1))
TEAM = Team("t", "The Team", members=(A, B, C), rotation=WEEKLY, usergroup=UserGroup("S0T", "tt"))
TUESDAY = datetime(2026, 1, 6, 12, 0, tzinfo=CET)  # Ana's week


def test_now_and_next_follow_the_rotation() -> None:
    now, upcoming = now_and_next(TEAM, TUESDAY)
    assert now is not None
    assert upcoming is not None
    assert (now.person, now.end, now.override) == (A, datetime(2026, 1, 12, 9, tzinfo=CET), None)
    assert (upcoming.person, upcoming.start) == (B, now.end)
    assert upcoming.end == datetime(2026, 1, 19, 9, tzinfo=CET)


def test_an_override_cuts_a_shift_and_the_rotation_resumes_after_it() -> None:
    cover = Override(C, datetime(2026, 1, 6, 18, tzinfo=CET), datetime(2026, 1, 7, 9, tzinfo=CET))
    team = Team("t", "T", members=(A, B, C), rotation=replace(WEEKLY, overrides=(cover,)))
    now, upcoming = now_and_next(team, TUESDAY)
    assert now is not None
    assert upcoming is not None
    assert (now.person, now.end) == (A, cover.start)  # Ana until the override starts
    assert (upcoming.person, upcoming.end, upcoming.override) == (C, cover.end, cover)
    after = shift_at(team, cover.end)
    assert after is not None
    assert (after.person, after.end) == (A, datetime(2026, 1, 12, 9, tzinfo=CET))


def test_with_overrides_adds_slack_shifts_and_the_latest_wins() -> None:
    registry = Registry(teams={"t": TEAM})
    taken = Override(B, TUESDAY, TUESDAY + timedelta(hours=3))
    merged = with_overrides(registry, {"t": (taken,), "gone": (taken,)})
    current = shift_at(merged.teams["t"], TUESDAY)
    assert current is not None
    assert (current.person, current.end) == (B, taken.end)
    assert with_overrides(registry, {}) is registry
    assert registry.teams["t"].rotation is WEEKLY  # the registry itself is unchanged


def test_find_team_by_id_name_handle_or_group() -> None:
    registry = Registry(teams={"t": TEAM})
    for ref in ("t", "the team", "@tt", "S0T", "<!subteam^S0T|@tt>"):
        assert find_team(registry, ref) is TEAM, ref
    assert find_team(registry, "nope") is None
    assert teams_of(registry, "U0BEN0001") == [TEAM]
    assert teams_of(registry, "U0NOBODY1") == []


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("", datetime(2026, 1, 12, 9, tzinfo=CET)),  # the default: the current shift's end
        ("until 18:00", datetime(2026, 1, 6, 18, tzinfo=CET)),
        ("18:00", datetime(2026, 1, 6, 18, tzinfo=CET)),
        ("until 08:00", datetime(2026, 1, 7, 8, tzinfo=CET)),  # past today: tomorrow
        ("for 4h", datetime(2026, 1, 6, 16, tzinfo=CET)),
        ("2 days", datetime(2026, 1, 8, 12, tzinfo=CET)),
        ("until 2026-01-09T09:00:00+01:00", datetime(2026, 1, 9, 9, tzinfo=CET)),
    ],
)
def test_parse_until(text: str, end: datetime) -> None:
    default = datetime(2026, 1, 12, 9, tzinfo=CET)
    assert parse_until(text, TUESDAY, "Europe/Berlin", default) == end


def test_unreadable_until_and_impossible_shifts_are_invalid_values() -> None:
    with pytest.raises(InvalidValue):
        parse_until("whenever", TUESDAY, "Europe/Berlin", TUESDAY)
    with pytest.raises(InvalidValue):
        take_shift(TEAM, A, TUESDAY, TUESDAY)
    with pytest.raises(InvalidValue, match="at most 31 days"):
        take_shift(TEAM, A, TUESDAY, TUESDAY + timedelta(days=32))
    with pytest.raises(InvalidValue):
        take_shift(Team("x", "X"), A, TUESDAY, TUESDAY + timedelta(hours=1))
    with pytest.raises(InvalidValue):
        take_shift(TEAM, A, datetime(2026, 1, 6), datetime(2026, 1, 7))


TEAMS_YAML = """teams:
  - id: t
    name: T
    members:
      - {name: Ana, slack: U0ANA0001}
      - {name: Ben, slack: U0BEN0001}
    oncall:
      members: [U0ANA0001, U0BEN0001]
      period: 1 week
      timezone: Europe/Berlin
      start: 2026-01-05
      overrides:
        - {person: U0BEN0001, from: "2026-01-06T09:00:00+01:00", until: "2026-01-07T09:00:00+01:00"}
%s
"""


def load(tmp_path: Path, extra: str = "") -> tuple[Registry | None, list[str]]:
    (tmp_path / "teams.yaml").write_text(TEAMS_YAML % extra, encoding="utf-8")
    result = load_registry(tmp_path)
    return result.registry, [str(p) for p in result.problems if p.is_error]


def test_registry_overrides_take_person_and_until(tmp_path: Path) -> None:
    registry, errors = load(tmp_path)
    assert errors == []
    assert registry is not None
    rotation = registry.teams["t"].rotation
    assert rotation is not None
    [override] = rotation.overrides
    assert override.person.slack_id == "U0BEN0001"
    assert override.end == datetime(2026, 1, 7, 8, tzinfo=UTC)


def test_registry_override_errors_carry_file_line_and_column(tmp_path: Path) -> None:
    bad = (
        '        - {person: U0ANA0001, member: U0BEN0001, from: "2026-01-08T09:00:00+01:00",'
        ' until: "2026-01-09T09:00:00+01:00"}\n'
        '        - {person: U0ANA0001, from: "2026-01-08T09:00:00+01:00"}\n'
        '        - {person: U0NOBODY1, from: "2026-01-09T09:00:00+01:00",'
        ' until: "2026-01-08T09:00:00+01:00"}'
    )
    _, errors = load(tmp_path, bad)
    joined = "\n".join(errors)
    assert "teams.yaml:14:20: error: team 't' oncall override has both 'member' and 'person'" in (
        joined
    )
    assert "teams.yaml:15:11: error: team 't' oncall override needs 'to' (or 'until')" in joined
    assert "teams.yaml:16:20: error: on-call member 'U0NOBODY1' is not a member" in joined
    assert "teams.yaml:16:73: error: team 't' oncall override ends before it starts" in joined


def test_with_external_names_the_person_a_schedule_kept_elsewhere_says() -> None:
    from ownership.oncall import on_call
    from ownership.shifts import Shift

    elsewhere = Team("pd", "Platform", members=(A,))
    registry = Registry(teams={"pd": elsewhere, "t": TEAM})
    merged = with_external(registry, {"pd": Shift(C, None, None), "t": Shift(C, None, None)})
    assert on_call(merged.teams["pd"], TUESDAY) == C
    assert on_call(merged.teams["t"], TUESDAY) == A  # a team's own rotation is left alone
    assert on_call(registry.teams["pd"], TUESDAY) is None
