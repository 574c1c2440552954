"""The sweep's quiet path: checks that change nothing but the contract's status, in batches.

Most checks of a sweep find a contract on time (or pending, or warned) with no alert open and
no failure alerted: nothing to recover, open or edit, so the whole transition is a check row
and the status columns. Those are recorded a chunk at a time, in one transaction whose few
queries load what decides it (the chunk's statuses, which of them have an alert open, the
silences in force) instead of ~6 statements, a commit and a pre-ping per contract. Every other
check (late, failed, an alert open, a failure alerted) takes the per-contract path
(`FreshnessService.apply`), and so does a whole chunk whose transaction fails, so one bad row
loses no other contract's check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Alert, ContractStatus, SilenceRow
from bot.freshness import alerts as A
from bot.freshness.judge import Timing, breach_key, next_check
from bot.freshness.records import check_row, new_status
from bot.probes import ProbeResult
from ownership.model import Contract, Registry
from ownership.sla import Evaluation, FreshnessState

CHUNK = 500  # contracts per transaction (bounds the IN lists and a failed chunk's retry)

# Neither opens nor edits an alert by itself: only an open alert or an alerted failure could.
QUIET_STATES = frozenset(
    {FreshnessState.ON_TIME, FreshnessState.PENDING, FreshnessState.WARN, FreshnessState.RECOVERED}
) | {FreshnessState.NOT_EXPECTED}  # off the calendar: never opens an alert


@dataclass(frozen=True)
class Checked:
    contract: Contract
    result: ProbeResult
    evaluation: Evaluation
    now: datetime


@dataclass(frozen=True)
class Quiet:
    """What the quiet path wrote for one contract (the sweep turns it into a report)."""

    contract: Contract
    evaluation: Evaluation
    next_check_at: datetime
    silenced: A.Silenced | None


def record_quiet(
    session: Session, registry: Registry, chunk: Sequence[Checked], timing: Timing
) -> list[Quiet]:
    """Record the checks of `chunk` that change nothing but the status; the others are left
    out of the result for the caller's per-contract path."""
    ids = [c.contract.id for c in chunk]
    statuses = {
        s.contract_id: s
        for s in session.scalars(select(ContractStatus).where(ContractStatus.contract_id.in_(ids)))
    }
    alerted = set(
        session.scalars(
            select(Alert.contract_id)
            .where(Alert.contract_id.in_(ids), Alert.status == "open")
            .distinct()
        )
    )
    earliest = min(c.now for c in chunk)
    silences = list(session.scalars(select(SilenceRow).where(SilenceRow.ends_at > earliest)))
    done = []
    for item in chunk:
        contract, evaluation, now = item.contract, item.evaluation, item.now
        status = statuses.get(contract.id)
        if (
            evaluation.state not in QUIET_STATES
            or contract.id in alerted
            or (status is not None and status.failure_alerted)
        ):
            continue
        if status is None:
            status = new_status(contract.id)
            session.add(status)
        key = breach_key(contract, evaluation)
        session.add(check_row(contract.id, evaluation, key, item.result, now))
        next_at = next_check(contract, evaluation, now, timing, alert_open=False)
        # the ORM writes only the columns whose value changes
        status.consecutive_failures = 0
        status.failure_alerted = False
        status.last_error = None
        status.last_update = evaluation.last_update
        status.state = evaluation.state.value
        status.period_key = key
        status.checked_at = now
        status.next_check_at = next_at
        silenced = A.active_silence(session, registry, contract, now, rows=silences)
        done.append(Quiet(contract, evaluation, next_at, silenced))
    return done
