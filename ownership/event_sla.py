"""Event-relative SLAs: "within 2 hours after `customer_master_db` lands" (docs/freshness.md,
"Event-relative deadlines"). Pure given the upstream's newest landing and `now`.

Each landing `u` of the upstream opens one period: key `after:<u in UTC>`, due at `u`, late
after `u + within`; an update at or after `u` counts for it. Only the newest landing is
judged; an earlier one's breach stays open (its alert) until data newer than it arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ownership.model import EventSla
from ownership.periods import Period, require_aware
from ownership.sla import Evaluation, FreshnessState
from ownership.timeparse import format_duration


def describe_event_sla(sla: EventSla) -> str:
    return f"within {format_duration(sla.within)} after `{sla.after}` lands"


def event_period(sla: EventSla, landed: datetime) -> Period:
    u = require_aware(landed, "landed").astimezone(UTC)
    return Period(f"after:{u:%Y-%m-%dT%H:%M:%SZ}", u, u + sla.within, u)


def evaluate_after(
    sla: EventSla, upstream: datetime | None, last_update: datetime | None, now: datetime
) -> Evaluation:
    """The verdict on the newest upstream landing: ON_TIME/RECOVERED when data at or after it
    came, PENDING until `within` has passed, LATE after; ON_TIME when the upstream never
    landed (nothing is due yet)."""
    now = require_aware(now, "now")
    update = None if last_update is None else require_aware(last_update, "last_update")
    age = None if update is None else max(now - update, timedelta(0))
    if upstream is None:
        return Evaluation(FreshnessState.ON_TIME, None, update, age=age)
    period = event_period(sla, min(require_aware(upstream, "upstream"), now))
    if update is not None and period.counts(update):
        if update <= period.deadline:
            return Evaluation(FreshnessState.ON_TIME, period, update, age=age)
        return Evaluation(
            FreshnessState.RECOVERED, period, update, late_by=update - period.deadline, age=age
        )
    if now > period.deadline:
        return Evaluation(
            FreshnessState.LATE, period, update, late_by=now - period.deadline, age=age
        )
    return Evaluation(FreshnessState.PENDING, period, update, age=age, due_in=period.deadline - now)
