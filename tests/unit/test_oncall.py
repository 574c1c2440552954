"""Who is on call at an instant: rotation by local days from the handoff, overrides first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from ownership.errors import InvalidValue
from ownership.model import Override, Person, Rotation, Team
from ownership.oncall import next_handoff, on_call

A, B, C = Person("Ana", "U0ANA0001"), Person("Ben", "U0BEN0001"), Person("Cy", "U0CY00001")
WEEKLY = Rotation((A, B, C), 7, time(9, 0), "Europe/Berlin", date(2026, 1, 5))
CET, CEST = timezone(timedelta(hours=1)), timezone(timedelta(hours=2))


def team(rotation: Rotation | None) -> Team:
    return Team("t", "T", members=(A, B, C), rotation=rotation)


@pytest.mark.parametrize(
    ("at", "who"),
    [
        (datetime(2026, 1, 5, 9, 0, tzinfo=CET), A),  # first handoff
        (datetime(2026, 1, 5, 8, 59, tzinfo=CET), C),  # just before it: the previous shift
        (datetime(2026, 1, 12, 8, 59, tzinfo=CET), A),
        (datetime(2026, 1, 12, 9, 0, tzinfo=CET), B),
        (datetime(2026, 1, 19, 9, 0, tzinfo=CET), C),
        (datetime(2026, 1, 26, 9, 0, tzinfo=CET), A),  # wraps around
        # DST: the handoff stays at 09:00 local on both sides of the switch (2026-03-29)
        (datetime(2026, 3, 30, 8, 59, tzinfo=CEST), C),
        (datetime(2026, 3, 30, 9, 0, tzinfo=CEST), A),
        (datetime(2026, 3, 30, 7, 30, tzinfo=UTC), A),  # 09:30 CEST
    ],
)
def test_weekly_rotation(at: datetime, who: Person) -> None:
    assert on_call(team(WEEKLY), at) == who


def test_override_wins_and_latest_override_wins() -> None:
    start = datetime(2026, 1, 6, 0, 0, tzinfo=UTC)
    rotation = Rotation(
        (A, B),
        1,
        time(9, 0),
        "UTC",
        date(2026, 1, 1),
        overrides=(
            Override(C, start, start + timedelta(days=2)),
            Override(A, start + timedelta(hours=12), start + timedelta(hours=13)),
        ),
    )
    assert on_call(team(rotation), start + timedelta(hours=1)) == C
    assert on_call(team(rotation), start + timedelta(hours=12, minutes=30)) == A
    assert on_call(team(rotation), start + timedelta(days=2)) != C  # end is exclusive


def test_no_rotation_means_nobody_and_naive_time_is_refused() -> None:
    assert on_call(team(None), datetime(2026, 1, 1, tzinfo=UTC)) is None
    with pytest.raises(InvalidValue):
        on_call(team(WEEKLY), datetime(2026, 1, 1))


def test_before_the_rotation_starts_it_runs_backwards_consistently() -> None:
    at = datetime(2026, 1, 4, 12, 0, tzinfo=CET)  # a day before start: the last of the cycle
    assert on_call(team(WEEKLY), at) == C


def test_next_handoff_is_the_end_of_the_current_shift() -> None:
    at = datetime(2026, 1, 7, 12, 0, tzinfo=CET)
    assert next_handoff(WEEKLY, at) == datetime(2026, 1, 12, 9, 0, tzinfo=CET)
