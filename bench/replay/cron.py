"""A five-field cron matcher for the replay's ground truth (the bench's own, not croniter).

Fields: minute, hour, day of month, month, day of week (0 or 7 = Sunday). Each is `*`, a
number, a range `a-b`, a step `*/s` or `a-b/s`, or a comma list of those. As in Vixie cron,
when both day fields are restricted a day matches if either does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, stop = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, stop = int(a), int(b)
        else:
            start = int(body)
            stop = high if step_text else start
        if not (low <= start <= stop <= high) or step < 1:
            raise ValueError(f"cron field {text!r} is out of {low}-{high}")
        values.update(range(start, stop + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # cron numbering, Sunday = 0
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expr: str) -> Cron:
        parts = expr.split()
        if len(parts) != 5:
            raise ValueError(f"cron {expr!r} needs five fields")
        fields = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, _RANGES, strict=True)]
        weekdays = frozenset(d % 7 for d in fields[4])
        return cls(fields[0], fields[1], fields[2], fields[3], weekdays,
                   parts[2] != "*", parts[4] != "*")

    def matches(self, wall: datetime) -> bool:
        """Whether the naive wall-clock minute `wall` is a run of this schedule."""
        if wall.minute not in self.minutes or wall.hour not in self.hours:
            return False
        if wall.month not in self.months:
            return False
        day_ok = wall.day in self.days
        weekday_ok = (wall.weekday() + 1) % 7 in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok
