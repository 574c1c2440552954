"""The sweep's quiet path: checks that change nothing but the contract's status, in batches.

Most checks of a sweep find a contract on time (or pending, or warned) with no alert open and
no failure alerted: nothing to recover, open or edit, so the whole transition is a check row
and the status columns. Those are recorded a chunk at a time, in one transaction whose few
queries load what decides it (the chunk's statuses, their open alerts, the silences in force)
instead of ~6 statements, a commit and a pre-ping per contract; so are the re-checks that
change nothing anyone sees (still late with the same root, still failing: `bot.freshness.still`).
Every other check (a new breach, a recovery, an edit of a root, a failure to alert) takes the
per-contract path (`FreshnessService.apply`), and so does a whole chunk whose transaction
fails, so one bad row loses no other contract's check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.db.models import Alert, CheckResult, ContractStatus, SilenceRow
from bot.freshness import alerts as A
from bot.freshness import still as S
from bot.freshness.judge import Timing, breach_key, late_cadence, next_check
from bot.freshness.records import check_values, new_status
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
    action: str | None = None
    alert: Alert | None = None  # still late: its open alert, for `predict_batch.follow_up`
    cadence: timedelta = timedelta(0)  # still late: how soon it is looked at again


@dataclass
class Recorded:
    """A chunk's outcome: what it wrote, and the claimed checks another replica took over."""

    done: list[Quiet] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)


def record_quiet(
    session: Session,
    registry: Registry,
    chunk: Sequence[Checked],
    timing: Timing,
    *,
    claims: Mapping[str, str] | None = None,
    states: Mapping[str, FreshnessState] | None = None,
) -> Recorded:
    """Record the checks of `chunk` that change nothing but the status (and those that change
    nothing anyone sees: `bot.freshness.still`); the others are left out of the result for
    the caller's per-contract path.

    `claims`: the claim token of each check (the scheduler's batches). The statuses are read
    locked and a check whose token is no longer its contract's is dropped unwritten (in
    `lost`), as `FreshnessService.apply` does; a recorded one's claim ends.
    `states`: what the whole sweep found for each contract (whether a cause may recover in
    it)."""
    ids = [c.contract.id for c in chunk]
    query = select(ContractStatus).where(ContractStatus.contract_id.in_(ids))
    if claims is not None:
        query = query.with_for_update()
    statuses = {s.contract_id: s for s in session.scalars(query)}
    alerts: dict[str, list[Alert]] = {}
    for alert in session.scalars(
        select(Alert).where(Alert.contract_id.in_(ids), Alert.status == "open").order_by(Alert.id)
    ):
        alerts.setdefault(alert.contract_id, []).append(alert)
    loaded = _load_for_still(session, alerts, chunk, states)
    done = Recorded()
    rows: list[dict[str, object]] = []  # check_results, one INSERT for the chunk
    updates: list[dict[str, object]] = []  # existing statuses, one UPDATE executemany
    for item in chunk:
        contract, evaluation, now = item.contract, item.evaluation, item.now
        status = statuses.get(contract.id)
        if claims is not None and (status is None or status.claim_token != claims[contract.id]):
            done.lost.add(contract.id)  # another replica took over: drop our result
            continue
        key = (
            breach_key(contract, evaluation)
            if evaluation.state is not FreshnessState.CHECK_FAILED
            else None
        )
        failed_alerted = status is not None and status.failure_alerted
        silenced: A.Silenced | None = None
        action, open_alert, cadence = None, None, timedelta(0)
        if evaluation.state in QUIET_STATES and contract.id not in alerts and not failed_alerted:
            alert_open = False
            silenced = A.active_silence(session, registry, contract, now, rows=loaded.silences)
        elif S.still_failing(status, evaluation, timing):
            alert_open = any(a.kind == "late" for a in alerts.get(contract.id, ()))
        elif not failed_alerted and (
            late := S.still_late(session, registry, contract, evaluation, key, now, loaded, timing)
        ):
            alert_open, silenced, action = True, late[1], "still late"
            open_alert = late[0]
            cadence = late_cadence(
                timing, status.checked_at if status else None, status.state if status else None, now
            )
        else:
            continue
        rows.append(check_values(contract.id, evaluation, key, item.result, now))
        next_at = next_check(contract, evaluation, now, timing, alert_open=alert_open)
        values: dict[str, object] = {
            "state": evaluation.state.value,
            "period_key": key,
            "checked_at": now,
            "next_check_at": next_at,
        }
        if evaluation.state is FreshnessState.CHECK_FAILED:
            values["consecutive_failures"] = (
                (status.consecutive_failures or 0) if status is not None else 0
            ) + 1
            values["last_error"] = evaluation.error
            values["failure_alerted"] = bool(status.failure_alerted) if status else False
            values["last_update"] = status.last_update if status is not None else None
        else:
            values["consecutive_failures"] = 0
            values["last_error"] = None
            values["failure_alerted"] = False
            values["last_update"] = evaluation.last_update
        if claims is not None:
            values.update(claimed_by=None, claim_until=None, claim_token=None)
        if status is None:  # first check: a new row
            status = new_status(contract.id)
            for name, value in values.items():
                setattr(status, name, value)
            session.add(status)
        else:
            updates.append(
                {"b_contract_id": contract.id, **{f"b_{k}": v for k, v in values.items()}}
            )
        done.done.append(
            Quiet(contract, evaluation, next_at, silenced, action, open_alert, cadence)
        )
    if rows:
        # render_nulls: one statement, not one per run of rows with the same NULL columns
        session.execute(insert(CheckResult).execution_options(render_nulls=True), rows)
    if updates:
        session.flush()  # the new statuses and the alerts first, as the unit of work would
        session.connection().execute(_update_statuses(updates[0]), updates)
    return done


def _update_statuses(first: dict[str, object]) -> Update:
    """`UPDATE contract_status SET … WHERE contract_id = …` for executemany: Core, not the
    unit of work (which spent more on 500 objects' bookkeeping than the database on the rows)."""
    table = cast(Table, ContractStatus.__table__)
    names = [k.removeprefix("b_") for k in first if k != "b_contract_id"]
    return (
        update(table)
        .where(table.c.contract_id == bindparam("b_contract_id"))
        .values({name: bindparam(f"b_{name}") for name in names})
    )


def _load_for_still(
    session: Session,
    alerts: Mapping[str, Sequence[Alert]],
    chunk: Sequence[Checked],
    states: Mapping[str, FreshnessState] | None,
) -> S.Loaded:
    """The silences in force, the attached alerts of the chunk's roots and the causes of its
    attached alerts: every query the decisions need, before any of them changes a row."""
    earliest = min(c.now for c in chunk)
    silences = list(session.scalars(select(SilenceRow).where(SilenceRow.ends_at > earliest)))
    late = [a for found in alerts.values() for a in found if a.kind == "late"]
    attached: dict[int, list[str]] = {}
    roots = [a.id for a in late if a.caused_by_alert_id is None and a.channel]
    if roots:
        for cause_id, contract_id in session.execute(
            select(Alert.caused_by_alert_id, Alert.contract_id)
            .where(
                Alert.caused_by_alert_id.in_(roots), Alert.kind == "late", Alert.status == "open"
            )
            .order_by(Alert.id)
        ):
            if cause_id is not None:
                attached.setdefault(cause_id, []).append(contract_id)
    wanted = {a.caused_by_alert_id for a in late if a.caused_by_alert_id is not None}
    causes = {a.id: a for a in late if a.id in wanted}
    missing = wanted - set(causes)
    if missing:
        causes.update(
            (a.id, a) for a in session.scalars(select(Alert).where(Alert.id.in_(missing)))
        )
    if states is None:
        states = {c.contract.id: c.evaluation.state for c in chunk}
    return S.Loaded(alerts, attached, causes, states, silences)
