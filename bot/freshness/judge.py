"""From a probe result to a verdict, and when to look again. Pure given `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.probes import ProbeResult
from ownership.model import Contract
from ownership.sla import (
    Evaluation,
    FreshnessState,
    evaluate_age,
    evaluate_deadline,
    evaluate_failed,
    next_deadline,
)

ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Timing:
    """How often to look while late, after a failed probe, and at most between checks."""

    recheck: timedelta = timedelta(minutes=10)
    retry_failed: timedelta = timedelta(minutes=5)
    longest: timedelta = timedelta(hours=6)
    failures_before_alert: int = 3
    claim_lease: timedelta = timedelta(minutes=2)  # > the probe timeout; a dead replica's
    # claim expires after this and another replica runs the check


def judge(contract: Contract, result: ProbeResult, now: datetime) -> Evaluation:
    """A deadline SLA when the contract has one, else its age SLA (dbt-style)."""
    if result.error is not None:
        return evaluate_failed(result.error)
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
    contract: Contract, evaluation: Evaluation, now: datetime, timing: Timing
) -> datetime:
    """At the next deadline; while late or failing, again after the recheck interval."""
    state = evaluation.state
    if state is FreshnessState.CHECK_FAILED:
        return now + timing.retry_failed
    if state is FreshnessState.LATE:
        return now + timing.recheck
    if contract.sla is not None:
        if state is FreshnessState.PENDING and evaluation.period is not None:
            at = evaluation.period.deadline + ONE_SECOND
        else:
            at = next_deadline(contract.sla, now) + ONE_SECOND
    elif contract.freshness is not None and evaluation.last_update is not None:
        limit = contract.freshness.error_after or contract.freshness.warn_after
        at = evaluation.last_update + (limit or timing.longest) + ONE_SECOND
    else:
        at = now + timing.recheck
    return min(max(at, now + ONE_SECOND), now + timing.longest)
