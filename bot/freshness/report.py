"""Terminal tables for `demarc check` and `demarc status`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ownership.sla import FreshnessState

STATE_WORDS = {
    "pending": "pending",
    "on_time": "on time",
    "late": "LATE",
    "recovered": "recovered",
    "warn": "warn",
    "check_failed": "CHECK FAILED",
    "not_expected": "not expected",
}


def stamp(at: datetime | None) -> str:
    if at is None:
        return "-"
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def exit_code(states: Sequence[FreshnessState]) -> int:
    """0 all on time (or not yet due), 1 some late, 2 some checks failed."""
    if FreshnessState.CHECK_FAILED in states:
        return 2
    if FreshnessState.LATE in states:
        return 1
    return 0
