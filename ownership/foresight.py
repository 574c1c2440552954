"""Telling people before the breach: the heads-up after `warn_after`, pure given `now`.

A deadline SLA with `warn_after` gets one short, non-paging heads-up per period when its data
has not arrived `warn_after` after the due time (still before the deadline). docs/freshness.md,
"Warn before error".
"""

from __future__ import annotations

from datetime import datetime

from ownership.model import DeadlineSla
from ownership.periods import Period
from ownership.sla import Evaluation, FreshnessState


def warn_at(sla: DeadlineSla, period: Period) -> datetime | None:
    """When the heads-up for `period` is due, if the SLA asks for one."""
    if sla.warn_after is None:
        return None
    return period.expected + sla.warn_after


def heads_up_due(sla: DeadlineSla | None, evaluation: Evaluation, now: datetime) -> bool:
    """No data yet, the warning time has come and the deadline has not passed."""
    period = evaluation.period
    if sla is None or period is None or evaluation.state is not FreshnessState.PENDING:
        return False
    at = warn_at(sla, period)
    return at is not None and at <= now <= period.deadline


def may_settle_heads_up(sla: DeadlineSla | None, evaluation: Evaluation) -> bool:
    """Fresh data that came after the warning time: a heads-up may be waiting to be settled."""
    period, update = evaluation.period, evaluation.last_update
    if sla is None or period is None or update is None or not evaluation.state.is_fresh:
        return False
    at = warn_at(sla, period)
    return at is not None and update >= at


def needs_heads_up_path(sla: DeadlineSla | None, evaluation: Evaluation, now: datetime) -> bool:
    """Whether a check may post or settle a heads-up (so it cannot take the quiet path)."""
    return heads_up_due(sla, evaluation, now) or may_settle_heads_up(sla, evaluation)
