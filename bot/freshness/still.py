"""Re-checks that change nothing anyone sees: still late, still failing, in the sweep's batch.

A contract late in the same breach as its last check, with its one open alert, whose root
would render the same (`roots.root_digest`), that lists no new "also affected" and whose
upstream cause (if attached) is still open, only stores what the check saw: the alert's
figures and the contract's status. A check that fails again after the owner was told, or
before the failure threshold, only counts the failure. Both are recorded in the quiet chunk's
transaction (`bot.freshness.quiet`); a still-late check's downstream warnings and missed-ETA
re-page follow for the whole sweep at once (`bot.freshness.predict_batch`). Anything else (a
recovery, a new breach, an edit of the root, a refold, a failure to alert) is left to the
per-contract path, which writes exactly what it wrote before.

Decisions read only what the chunk loaded beforehand (no query between a change and its
undo, so nothing half-decided is flushed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.db.models import Alert, ContractStatus, SilenceRow
from bot.freshness import alerts as A
from bot.freshness import roots as R
from bot.freshness.cascade import cause_settled
from bot.freshness.judge import Timing
from ownership.model import Contract, Registry
from ownership.sla import Evaluation, FreshnessState


@dataclass(frozen=True)
class Loaded:
    """What a chunk read once, for the decisions below."""

    alerts: Mapping[str, Sequence[Alert]]  # open alerts (any kind) by contract
    attached: Mapping[int, Sequence[str]]  # open late alerts' contracts by their cause's id
    causes: Mapping[int, Alert]  # the causes of the attached alerts among `alerts`
    states: Mapping[str, FreshnessState]  # what this sweep found for each contract
    silences: Sequence[SilenceRow]


def still_late(
    session: Session,
    registry: Registry,
    contract: Contract,
    evaluation: Evaluation,
    key: str | None,
    now: datetime,
    loaded: Loaded,
    timing: Timing,
) -> tuple[Alert, A.Silenced | None] | None:
    """The open alert refreshed in place (and the silence in force) if nothing shown changes;
    None (and nothing changed) for the per-contract path."""
    alerts = loaded.alerts.get(contract.id, ())
    if evaluation.state is not FreshnessState.LATE or key is None or len(alerts) != 1:
        return None
    alert = alerts[0]
    if alert.kind != "late" or alert.period_key != key or A.recovers(alert, evaluation):
        return None
    silenced = A.active_silence(session, registry, contract, now, rows=loaded.silences)
    if alert.caused_by_alert_id is not None:
        cause = loaded.causes.get(alert.caused_by_alert_id)
        if silenced is None and (
            cause is None
            or cause_settled(cause, now, timing.recheck)
            or (
                cause.status == "open"  # it may recover in this very sweep
                and loaded.states.get(cause.contract_id, FreshnessState.LATE)
                is not FreshnessState.LATE
            )
        ):
            return None
        _store(alert, evaluation, now)
        return _refreshed(alert, silenced)
    if not alert.channel:
        _store(alert, evaluation, now)
        return _refreshed(alert, silenced)
    known = {a for a in alert.affected.split(",") if a}
    if any(c not in known for c in loaded.attached.get(alert.id, ())):
        return None  # "also affected" to announce: an edit
    before = (alert.late_by_seconds, alert.last_update, alert.checked_at)
    _store(alert, evaluation, now)
    view = R.build_view(
        registry, contract, alert, now, snoozed_until=silenced.until if silenced else None
    )
    if R.root_digest(view) != alert.root_digest:
        alert.late_by_seconds, alert.last_update, alert.checked_at = before
        return None
    return _refreshed(alert, silenced)


def still_failing(status: ContractStatus | None, evaluation: Evaluation, timing: Timing) -> bool:
    """A failed check that alerts nobody: the owner was told already, or too few in a row."""
    if evaluation.state is not FreshnessState.CHECK_FAILED:
        return False
    if status is None:
        return timing.failures_before_alert > 1
    return bool(status.failure_alerted) or (
        (status.consecutive_failures or 0) + 1 < timing.failures_before_alert
    )


def _refreshed(alert: Alert, silenced: A.Silenced | None) -> tuple[Alert, A.Silenced | None]:
    """The refreshed alert, its three columns marked written whether their values moved or
    not: every still-late alert of a chunk then has the same columns to update, and the unit
    of work sends them as one executemany instead of one statement per run of alike rows."""
    for name in _STORED:
        flag_modified(alert, name)
    return alert, silenced


_STORED = ("late_by_seconds", "last_update", "checked_at")


def _store(alert: Alert, evaluation: Evaluation, now: datetime) -> None:
    """What `alerts.refresh_alert` stores of a re-check."""
    late_by = evaluation.late_by
    alert.late_by_seconds = int(late_by.total_seconds()) if late_by is not None else None
    alert.last_update = evaluation.last_update
    alert.checked_at = now
