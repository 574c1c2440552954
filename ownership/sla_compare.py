"""Comparing two deadline SLAs by the deadlines they actually produce (not their wording).

Deadlines are compared over two fortnights, one in winter and one in summer, so a change of
zone or a DST rule counts; each old deadline is paired with the nearest new one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ownership.model import DeadlineSla
from ownership.periods import next_period, period_at
from ownership.timeparse import format_duration

_WINDOWS = (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 7, 6, tzinfo=UTC))
_SPAN = timedelta(days=14)
_MAX_PERIODS = 5000


def _deadlines(sla: DeadlineSla, pad: timedelta = timedelta(0)) -> list[datetime]:
    out: list[datetime] = []
    for start in _WINDOWS:
        begin, end = start - pad, start + _SPAN + pad
        period = period_at(sla, begin)
        while period.expected < end and len(out) < _MAX_PERIODS:
            if period.expected >= begin:
                out.append(period.deadline)
            period = next_period(sla, period)
    return out


def compare_deadlines(old: DeadlineSla, new: DeadlineSla) -> tuple[str, str]:
    """("same" | "looser" | "tighter" | "mixed", words): how much later data may arrive."""
    before, after = _deadlines(old), _deadlines(new)
    if len(after) < len(before):
        return "looser", f"less often ({len(before)} → {len(after)} deliveries a fortnight)"
    if len(after) > len(before):
        return "tighter", "more often"
    around = _deadlines(new, pad=timedelta(days=8))  # the nearest may lie past the window
    shifts = [min((n - o for n in around), key=abs) for o in before]
    later, earlier = max(shifts, default=timedelta(0)), min(shifts, default=timedelta(0))
    if later > timedelta(0) and earlier < timedelta(0):
        return "mixed", "some deliveries later, some earlier"
    if later > timedelta(0):
        return "looser", f"data may arrive up to {format_duration(later)} later"
    if earlier < timedelta(0):
        return "tighter", f"data is due up to {format_duration(-earlier)} earlier"
    return "same", "the same deadlines"
