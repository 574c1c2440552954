"""One check's transition, in the transaction that records it: the check row, the contract's
status, and the alerts it opens, refreshes or recovers (late, check failed), with the Slack
messages they cause. `FreshnessService` inherits these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Alert, ContractStatus
from bot.freshness import alerts as A
from bot.freshness import cascade as C
from bot.freshness import etas as E
from bot.freshness import headsup as H
from bot.freshness import holds as K
from bot.freshness import planned as D
from bot.freshness import predictions as P
from bot.freshness import roots as R
from bot.freshness.judge import Timing, breach_key, late_cadence, next_check
from bot.freshness.records import check_row, new_status
from bot.probes import ProbeResult
from ownership.model import Contract, Probe, Registry
from ownership.sla import Evaluation, FreshnessState

ProbeMany = Callable[[list[tuple[str, Probe]]], dict[str, ProbeResult]]


@dataclass(frozen=True)
class CheckReport:
    contract: Contract
    evaluation: Evaluation
    next_check_at: datetime
    action: str | None = None
    silenced: A.Silenced | None = None


class Transitions:
    """The recording half of `FreshnessService` (which sets these attributes)."""

    timing: Timing
    probe_many: ProbeMany
    on_recovered: A.RecoveryHook | None
    on_breached: A.BreachHook | None

    def _transition(
        self,
        session: Session,
        registry: Registry,
        contract: Contract,
        evaluation: Evaluation,
        result: ProbeResult,
        now: datetime,
        announce: bool = True,
    ) -> CheckReport:
        status = session.get(ContractStatus, contract.id)
        if status is None:
            status = new_status(contract.id)
            session.add(status)
        key = (
            breach_key(contract, evaluation)
            if evaluation.state is not FreshnessState.CHECK_FAILED
            else None
        )
        session.add(check_row(contract.id, evaluation, key, result, now))
        action = None
        silenced = None
        were_open: list[Alert] = []
        if evaluation.state is FreshnessState.CHECK_FAILED:
            action = self._failed(session, registry, contract, status, evaluation, now)
        else:
            if status.failure_alerted:
                self._check_works_again(session, registry, contract, now)
            status.consecutive_failures = 0
            status.failure_alerted = False
            status.last_error = None
            status.last_update = evaluation.last_update
            were_open = R.open_alerts(session, contract.id)
            for alert in were_open:
                if A.recovers(alert, evaluation):
                    A.recover(
                        session, registry, contract, alert, evaluation, now, self.on_recovered
                    )
                    action = "recovered"
            silenced = A.active_silence(session, registry, contract, now)
            if silenced is not None and silenced.asset != contract.asset and announce:
                D.notify(session, registry, [silenced], now)  # a planned delay upstream
            if evaluation.state is FreshnessState.LATE and key is not None:
                action = self._late(
                    session, registry, contract, key, evaluation, now, silenced, announce
                )
            action = H.follow(session, registry, contract, evaluation, now) or action
            if evaluation.state is FreshnessState.LATE:
                P.warn_downstream(session, registry, contract, evaluation, now,
                                  next_check=self._cadence(status, now),
                                  probe=self.probe_many)  # fmt: skip
                E.check_missed(session, registry, contract, now)
        session.flush()
        if (
            evaluation.state is not FreshnessState.CHECK_FAILED
            and not were_open
            and not (evaluation.state is FreshnessState.LATE and key is not None)
        ):
            alert_open = False  # none was open and nothing here could open one
        else:
            alert_open = bool(R.open_alerts(session, contract.id))
        next_at = next_check(contract, evaluation, now, self.timing, alert_open=alert_open)
        status.state = evaluation.state.value
        status.period_key = key
        status.checked_at = now
        status.next_check_at = next_at
        return CheckReport(contract, evaluation, next_at, action, silenced)

    def _cadence(self, status: ContractStatus, now: datetime) -> timedelta:
        return late_cadence(self.timing, status.checked_at, status.state, now)

    def _late(
        self,
        session: Session,
        registry: Registry,
        contract: Contract,
        key: str,
        evaluation: Evaluation,
        now: datetime,
        silenced: A.Silenced | None,
        announce: bool = True,
    ) -> str | None:
        existing = session.scalars(
            select(Alert).where(Alert.contract_id == contract.id, Alert.period_key == key)
        ).first()
        if existing is None:
            if silenced is not None:
                return f"silenced until {silenced.until:%Y-%m-%d %H:%M} UTC"
            deadline = evaluation.period.deadline if evaluation.period else None
            if C.upstream_root(session, registry, contract, deadline) is None:
                held = K.hold(session, registry, contract, now)  # an upstream ETA + lag ahead
                if held is not None:
                    return K.say_held(session, registry, contract, key, held, now)
            opened = A.open_late_alert(
                session, registry, contract, key, evaluation, now, announce=announce
            )
            if self.on_breached is not None:
                A.tell_breached(session, contract.id, key, now, self.on_breached)
            return opened
        if existing.status == "open":
            A.refresh_alert(session, registry, contract, existing, evaluation, now, silenced)
            if existing.caused_by_alert_id is not None and silenced is None:
                # rendered from what this check saw (stored just above)
                moved = C.refold(session, registry, contract, existing, now, self.timing.recheck)
                return moved or "still late"
            return "still late"
        return None

    def _failed(
        self,
        session: Session,
        registry: Registry,
        contract: Contract,
        status: ContractStatus,
        evaluation: Evaluation,
        now: datetime,
    ) -> str | None:
        status.consecutive_failures = (status.consecutive_failures or 0) + 1
        status.last_error = evaluation.error
        if (
            status.failure_alerted
            or status.consecutive_failures < self.timing.failures_before_alert
        ):
            return None
        channel = R.alert_channel(registry, contract)
        if not channel:
            return "check failing, and the owner team has no on-call channel"
        alert = Alert(
            contract_id=contract.id,
            period_key=f"check-failed:{now:%Y%m%dT%H%M%S}",
            kind="check_failed",
            status="open",
            channel=channel,
            opened_at=now,
            affected="",
        )
        session.add(alert)
        session.flush()
        view = R.build_view(
            registry,
            contract,
            alert,
            now,
            error=evaluation.error,
            failures=status.consecutive_failures,
        )
        R.post_root(session, view, alert, now)
        status.failure_alerted = True
        return "check-failed alert opened"

    def _check_works_again(
        self, session: Session, registry: Registry, contract: Contract, now: datetime
    ) -> None:
        for alert in R.open_alerts(session, contract.id, kind="check_failed"):
            alert.status = "recovered"
            alert.recovered_at = now
            R.edit_root(session, R.build_view(registry, contract, alert, now), alert, now)
            R.reply(session, alert, "The check works again; freshness is being tracked.", now)
