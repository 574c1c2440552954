"""From a probe result to a verdict, and when to look again. Pure given `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.probes import ProbeResult
from ownership.event_sla import evaluate_after
from ownership.foresight import warn_at
from ownership.model import Contract
from ownership.sla import (
    Evaluation,
    FreshnessState,
    evaluate_age,
    evaluate_deadline,
    evaluate_failed,
    first_uncovered,
    next_deadline,
    next_period,
)

ONE_SECOND = timedelta(seconds=1)
_EPSILON = timedelta(microseconds=1)


@dataclass(frozen=True)
class Timing:
    """How often to look while late, after a failed probe, and at most between checks."""

    recheck: timedelta = timedelta(minutes=10)
    retry_failed: timedelta = timedelta(minutes=5)
    longest: timedelta = timedelta(hours=6)
    failures_before_alert: int = 3
    claim_lease: timedelta = timedelta(minutes=2)  # > the probe timeout; a dead replica's
    # claim expires after this and another replica runs the check


def judge(
    contract: Contract, result: ProbeResult, now: datetime, upstream: datetime | None = None
) -> Evaluation:
    """A deadline SLA when the contract has one, else its age SLA (dbt-style); an
    event-relative SLA against `upstream`, its upstream's newest landing."""
    if result.error is not None:
        return evaluate_failed(result.error)
    if contract.after is not None:
        return evaluate_after(contract.after, upstream, result.last_update, now)
    if contract.sla is not None:
        return evaluate_deadline(contract.sla, result.last_update, now)
    if contract.freshness is not None:
        return evaluate_age(contract.freshness, result.last_update, now)
    return evaluate_failed("the contract has no sla or freshness to check against")


def breach_key(contract: Contract, evaluation: Evaluation) -> str:
    """What one alert is about: a deadline period ("2026-11-25"), or one stale update (age)."""
    if evaluation.period is not None:
        return evaluation.period.key
    stale = evaluation.last_update.isoformat() if evaluation.last_update else "never"
    return f"age:{stale}"[:64]


def next_check(
    contract: Contract,
    evaluation: Evaluation,
    now: datetime,
    timing: Timing,
    *,
    alert_open: bool = False,
) -> datetime:
    """When the verdict can next change; while late, failing or with an alert open (whose
    recovery must be seen), again after the recheck interval at most.

    Never in the past and never sooner than needed: an instant that is not after `now` falls
    back to the recheck interval, so no state can loop faster than the configured intervals.
    """
    state = evaluation.state
    if state is FreshnessState.CHECK_FAILED:
        at = now + timing.retry_failed
    else:
        change = _next_change(contract, evaluation, now)
        at = change if change is not None and change > now else now + timing.recheck
        if state is FreshnessState.LATE:
            at = min(at, now + timing.recheck)
    cap = timing.recheck if alert_open else timing.longest
    return max(min(at, now + cap), now + ONE_SECOND)


def _next_change(contract: Contract, evaluation: Evaluation, now: datetime) -> datetime | None:
    """The first instant after `now` at which the same data gets another verdict, if any."""
    state, update = evaluation.state, evaluation.last_update
    if contract.after is not None:  # the upstream may land any time: the 6 h bound, or
        if state is FreshnessState.PENDING and evaluation.period is not None:
            return evaluation.period.deadline + ONE_SECOND
        return None  # the recheck interval while late
    if contract.sla is not None:
        sla = contract.sla
        if state is FreshnessState.NOT_EXPECTED and evaluation.period is not None:
            return next_period(sla, evaluation.period).expected  # the next period is judged
        if state is FreshnessState.PENDING and evaluation.period is not None:
            heads_up = warn_at(sla, evaluation.period)  # the heads-up is due before the deadline
            if heads_up is not None and now < heads_up:
                return heads_up
            return evaluation.period.deadline + ONE_SECOND
        if state is FreshnessState.LATE or update is None:
            # The next period falls due too: a deadline at `now` itself passes right after.
            return next_deadline(sla, now - _EPSILON) + ONE_SECOND
        # Fresh: nothing can go late before the first period this update does not count for.
        uncovered = first_uncovered(sla, update)
        heads_up = warn_at(sla, uncovered)
        if heads_up is not None and now < heads_up:
            return heads_up
        return uncovered.deadline + ONE_SECOND
    if contract.freshness is not None and update is not None:
        limits = (contract.freshness.warn_after, contract.freshness.error_after)
        if state is FreshnessState.WARN:
            limits = (contract.freshness.error_after, None)
        elif state is FreshnessState.LATE:
            return None  # only new data changes it
        crossings = [update + limit + ONE_SECOND for limit in limits if limit is not None]
        ahead = [at for at in crossings if at > now]
        return min(ahead) if ahead else None
    return None


def late_cadence(
    timing: Timing, checked_at: datetime | None, state: str | None, now: datetime
) -> timedelta:
    """How soon a late contract is looked at again, from its status before this check: the
    re-check interval, or the time since its last check while it was late already (a fixed
    sweep may be slower)."""
    gap = now - checked_at if checked_at is not None else timedelta(0)
    late = state == FreshnessState.LATE.value
    return max(timing.recheck, min(gap, timing.longest) if late else timedelta(0))
