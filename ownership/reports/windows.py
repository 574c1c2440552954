"""Report windows: half-open UTC day ranges [since, until), split into ISO weeks or months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True, slots=True)
class Window:
    """The UTC days `since` up to, not including, `until`."""

    since: date
    until: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until, time(0), tzinfo=UTC)

    def holds(self, at: datetime) -> bool:
        return self.start <= at < self.end


def month(text: str) -> Window:
    """`2026-11` → that calendar month; ValueError on anything else."""
    year_text, sep, month_text = text.partition("-")
    if not sep or len(year_text) != 4 or len(month_text) != 2:
        raise ValueError(f"month {text!r}: expected YYYY-MM, e.g. 2026-11")
    first = date(int(year_text), int(month_text), 1)
    return Window(first, _next_month(first))


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def weeks(window: Window) -> tuple[Window, ...]:
    """The ISO weeks (Monday to Sunday) overlapping `window`, clipped to it."""
    out: list[Window] = []
    day = window.since
    while day < window.until:
        monday = day - timedelta(days=day.weekday())
        end = min(monday + timedelta(days=7), window.until)
        out.append(Window(day, end))
        day = end
    return tuple(out)


def months(window: Window) -> tuple[Window, ...]:
    """The calendar months overlapping `window`, clipped to it."""
    out: list[Window] = []
    day = window.since
    while day < window.until:
        end = min(_next_month(day.replace(day=1)), window.until)
        out.append(Window(day, end))
        day = end
    return tuple(out)
