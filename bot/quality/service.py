"""One quality sweep: measure every due contract's checks in parallel (bounded), then record
contracts a chunk per transaction, upstream first, with the Slack messages their breaches
and recoveries cause (`bot.quality.alerts`); a chunk that fails is recorded again one
contract per transaction, so one bad contract (or a replica that opened an alert first) costs
no other its record.

A contract is due once per period after its data arrived: its freshness check saw an update
in the current period (`ownership.quality.window`) that this sweep has not checked yet. A
reload (a newer update) makes it due again, which is how a fixed load resolves an alert.
`force` (`demarc check --quality`) checks every contract with checks now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import ContractStatus, QualityAlert, QualityResult, QualityStatus
from bot.freshness.alerts import Silenced, active_silence
from bot.freshness.service import lineage_order
from bot.probes.quality import Job, QualityProber
from bot.quality import alerts as QA
from bot.quality import check_failed as CF
from bot.quality import status_merge as SM
from ownership.model import Contract, QualityRule, Registry, SqlProbe
from ownership.quality.checks import contract_checks
from ownership.quality.verdict import Measured, Verdict, judge
from ownership.quality.window import Window, quality_window

log = logging.getLogger(__name__)
FRESH = ("on_time", "recovered")
CHUNK = 100  # contracts recorded per transaction (a failing chunk is retried one by one)


@dataclass(frozen=True)
class QualityReport:
    contract: Contract
    period: str
    verdicts: tuple[Verdict, ...]
    actions: tuple[str, ...] = ()
    skipped: str | None = None  # why the contract was not checked now
    error: str | None = None  # recording failed

    @property
    def state(self) -> str:
        if self.error or any(v.passed is None for v in self.verdicts):
            return "check_failed"
        return "failed" if any(v.failed for v in self.verdicts) else "passed"


@dataclass
class _Plan:
    contract: Contract
    window: Window
    last_update: datetime | None
    rules: tuple[QualityRule, ...] = ()
    sweep: bool = True  # demarc's own checks, not results measured elsewhere (dbt)


def checkable(contract: Contract) -> bool:
    return isinstance(contract.probe, SqlProbe) and bool(contract_checks(contract))


class QualityService:
    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        prober: QualityProber,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.registry = registry
        self.prober = prober
        self.clock = clock

    def check(
        self, contract_ids: Iterable[str] | None = None, *, force: bool = False
    ) -> list[QualityReport]:
        registry = self.registry()
        wanted = set(contract_ids) if contract_ids is not None else None
        now = self.clock()
        chosen = [
            c
            for c in registry.contracts.values()
            if (wanted is None or c.id in wanted) and checkable(c)
        ]
        plans, reports = self._due(chosen, now, force)
        jobs = [
            Job(p.contract.id, _probe(p.contract), p.rules, p.window.start, now)
            for p in plans.values()
        ]
        measured = self.prober.measure_many(jobs)
        ordered = [
            plans[c.id] for c in lineage_order(registry, [p.contract for p in plans.values()])
        ]
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            try:
                with self.sessions.begin() as session:
                    ids = [p.contract.id for p in chunk]
                    alerts = QA.open_alerts_of(session, ids)
                    statuses = _done_rows(session, ids)
                    done = [
                        self._record(
                            session,
                            registry,
                            p,
                            measured,
                            now,
                            alerts.get(p.contract.id, []),
                            statuses.get(p.contract.id),
                        )
                        for p in chunk
                    ]
            except Exception as exc:  # e.g. another replica opened one of the alerts first
                log.warning("recording %d quality checks at once failed, one by one: %s",
                            len(chunk), exc)  # fmt: skip
                done = [self._record_alone(registry, p, measured, now) for p in chunk]
            reports.extend(done)
        return sorted(reports, key=lambda r: r.contract.id)

    def record_results(
        self,
        registry: Registry,
        contract: Contract,
        rules: tuple[QualityRule, ...],
        measured: dict[str, Measured],
    ) -> QualityReport:
        """Checks measured elsewhere (dbt's tests), judged and alerted like demarc's own."""
        now = self.clock()
        plan = _Plan(contract, quality_window(contract, now), None, rules, sweep=False)
        return self._record_alone(registry, plan, {contract.id: measured}, now)

    def _record_alone(
        self,
        registry: Registry,
        plan: _Plan,
        measured: dict[str, dict[str, Measured]],
        now: datetime,
    ) -> QualityReport:
        try:
            with self.sessions.begin() as session:
                return self._record(session, registry, plan, measured, now)
        except IntegrityError:  # another replica recorded this period's alert first
            return QualityReport(plan.contract, plan.window.key, (), ("recorded by another "
                                 "replica",))  # fmt: skip
        except Exception as exc:  # the database went away: the others still run
            log.exception("the quality check of %s could not be recorded", plan.contract.id)
            return QualityReport(plan.contract, plan.window.key, (), error=f"not recorded: {exc}")

    def _due(
        self, contracts: list[Contract], now: datetime, force: bool
    ) -> tuple[dict[str, _Plan], list[QualityReport]]:
        ids = [c.id for c in contracts]
        with self.sessions() as session:
            fresh = _fresh_rows(session, ids)
            done = _done_rows(session, ids)
        plans: dict[str, _Plan] = {}
        skipped: list[QualityReport] = []
        for contract in contracts:
            window = quality_window(contract, now)
            status = fresh.get(contract.id)
            last = status.last_update if status else None
            if not force:
                arrived = (
                    status is not None
                    and status.state in FRESH
                    and last is not None
                    and (window.start is None or last >= window.start)
                )
                if not arrived:
                    skipped.append(
                        QualityReport(contract, window.key, (), skipped="waiting for the data")
                    )
                    continue
                seen = done.get(contract.id)
                if (
                    seen
                    and seen.period_key == window.key
                    and seen.last_update == last
                    and seen.state != "check_failed"  # a check that did not run is retried
                ):
                    continue  # this period's data was checked already
            plans[contract.id] = _Plan(contract, window, last, contract_checks(contract))
        return plans, skipped

    def _record(
        self,
        session: Session,
        registry: Registry,
        plan: _Plan,
        measured: dict[str, dict[str, Measured]],
        now: datetime,
        open_now: list[QualityAlert] | None = None,
        status: QualityStatus | None = None,
    ) -> QualityReport:
        """`open_now`, `status`: the contract's open alerts and status, when the caller loaded
        them for many contracts at once (else read here)."""
        contract, key = plan.contract, plan.window.key
        numbers = measured.get(contract.id, {})
        verdicts = []
        results: list[QualityResult] = []  # added once the alerts are done: one flush
        for rule in plan.rules:
            got = numbers.get(rule.id) or Measured(None, error="not measured")
            history = (
                _history(session, contract.id, rule.id, key) if rule.bound[0] == "trend" else ()
            )
            try:
                verdict = judge(rule, got, history=history, volume=contract.volume)
            except Exception as exc:
                verdict = Verdict(rule, None, error=f"cannot judge: {exc}")
            verdicts.append(verdict)
            results.append(
                QualityResult(
                    contract_id=contract.id,
                    period_key=key,
                    check_id=rule.id,
                    checked_at=now,
                    outcome="check_failed"
                    if verdict.passed is None
                    else ("passed" if verdict.passed else "failed"),
                    value=verdict.count,
                    rows=verdict.rows,
                    detail=verdict.words()[:2000],
                )
            )
        scanned = _scanned(contract, plan.window)
        actions: list[str] = []
        if open_now is None:
            open_now = QA.open_alerts(session, contract.id)
        silenced: Silenced | bool | None = False  # False: not looked up yet
        for verdict in verdicts:
            rule_id = verdict.rule.id
            mine = [a for a in open_now if a.check_id == rule_id]
            if verdict.passed:
                for alert in mine:
                    QA.resolve(session, registry, contract, alert, now, scanned)
                    actions.append(f"{rule_id}: resolved")
            elif verdict.failed:
                if not mine and silenced is False:
                    silenced = active_silence(session, registry, contract, now)
                if not mine and isinstance(silenced, Silenced):
                    actions.append(f"{rule_id}: silenced until {silenced.until:%Y-%m-%d %H:%M} UTC")
                    continue
                same = next((a for a in mine if a.period_key == key), None)
                done = QA.breach(session, registry, contract, key, verdict, now, scanned, same)
                if done:
                    actions.append(f"{rule_id}: {done}")
        if plan.sweep:
            followed = CF.follow(session, registry, contract, verdicts, open_now, now)
            if followed:
                actions.append(followed)
        report = QualityReport(contract, key, tuple(verdicts), tuple(actions))
        session.add_all(results)
        if status is None:
            status = session.get(QualityStatus, contract.id)
        if status is None:
            status = QualityStatus(contract_id=contract.id)
            session.add(status)
        ran = {r.check_id: (r.outcome, v.words()) for r, v in zip(results, verdicts, strict=True)}
        own = {r.id for r in contract_checks(contract)}
        with session.no_autoflush:  # the status row is filled below
            # the other source's checks of this period (dbt's for the sweep, the sweep's
            # for dbt), merged by check id
            kept = SM.others(
                session, contract.id, key, SM.is_dbt if plan.sweep else own.__contains__
            )
        if plan.sweep:  # dbt's results say nothing of which update the sweep checked
            status.last_update = plan.last_update
        status.period_key, status.checked_at = key, now
        SM.fill(status, {**kept, **ran})
        return report


def _probe(contract: Contract) -> SqlProbe:
    assert isinstance(contract.probe, SqlProbe)
    return contract.probe


def _fresh_rows(session: Session, ids: list[str]) -> dict[str, ContractStatus]:
    out: dict[str, ContractStatus] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        query = select(ContractStatus).where(ContractStatus.contract_id.in_(part))
        out.update((s.contract_id, s) for s in session.scalars(query))
    return out


def _done_rows(session: Session, ids: list[str]) -> dict[str, QualityStatus]:
    out: dict[str, QualityStatus] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        query = select(QualityStatus).where(QualityStatus.contract_id.in_(part))
        out.update((s.contract_id, s) for s in session.scalars(query))
    return out


def _history(session: Session, contract_id: str, check_id: str, current: str) -> list[float]:
    """The latest row count of each earlier period, oldest first."""
    rows = session.execute(
        select(QualityResult.period_key, QualityResult.value)
        .where(
            QualityResult.contract_id == contract_id,
            QualityResult.check_id == check_id,
            QualityResult.period_key != current,
            QualityResult.value.is_not(None),
        )
        .order_by(QualityResult.checked_at)
    ).all()
    latest: dict[str, float] = {}
    for period, value in rows:
        latest.pop(period, None)
        latest[period] = float(value or 0)
    return list(latest.values())[-50:]


def _scanned(contract: Contract, window: Window) -> str:
    probe = _probe(contract)
    if window.start is None:
        return f"every row of {probe.table}"
    since = f"{window.start:%Y-%m-%d %H:%M} UTC"
    return f"the rows of {probe.table} with {probe.timestamp_column} since {since}"
