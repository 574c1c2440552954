"""Alert state transitions for one contract check, written in the caller's transaction.

One root message per contract and breach (a deadline period, or one stale update for age
SLAs). Re-checks edit the root in place; recovery edits it to "recovered, 47 min late" and says
so in the thread. Downstream contracts late because of an upstream alert are attached to it
(`bot.freshness.cascade`); Slack messages go through `bot.freshness.roots`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.alerts import when
from bot.blocks.escape import code, escape
from bot.db.models import Alert, SilenceRow
from bot.freshness.cascade import announce_affected, upstream_root
from bot.freshness.quality_hint import note_upstream_quality
from bot.freshness.roots import (
    alert_channel,
    build_view,
    edit_root,
    post_root,
    reply,
)
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.sla import Evaluation
from ownership.timeparse import format_duration


@dataclass(frozen=True)
class Silenced:
    asset: str
    until: datetime
    reason: str


def active_silence(
    session: Session,
    registry: Registry,
    contract: Contract,
    now: datetime,
    *,
    rows: Sequence[SilenceRow] | None = None,
) -> Silenced | None:
    """A silence on the contract's asset, or on anything upstream of it, covering `now`.

    `rows`: the silences a sweep loaded once (every one that ends after its start), searched
    here instead of a query per contract."""
    assets = [contract.asset] + [a for a, _ in walk(registry, contract.asset, "up")]
    for silence in registry.silences:
        if silence.asset in assets and silence.start <= now < silence.end:
            return Silenced(silence.asset, silence.end, silence.reason)
    if rows is not None:
        wanted = set(assets)
        covering = [r for r in rows if r.asset in wanted and r.starts_at <= now < r.ends_at]
        best = max(covering, key=lambda r: r.ends_at, default=None)
        return Silenced(best.asset, best.ends_at, best.reason) if best else None
    row = session.scalars(
        select(SilenceRow)
        .where(SilenceRow.asset.in_(assets), SilenceRow.starts_at <= now, SilenceRow.ends_at > now)
        .order_by(SilenceRow.ends_at.desc())
    ).first()
    return Silenced(row.asset, row.ends_at, row.reason) if row else None


def open_late_alert(
    session: Session,
    registry: Registry,
    contract: Contract,
    key: str,
    evaluation: Evaluation,
    now: datetime,
    *,
    announce: bool = True,
) -> str:
    """Open (or attach) the alert for this breach; returns what happened, for reports.

    An attached alert is announced now, in this transaction (`announce`), or by the caller at
    the end of its sweep (`announce_all`).
    """
    channel = alert_channel(registry, contract)
    period = evaluation.period
    deadline = (
        period.deadline
        if period
        else (
            evaluation.last_update + evaluation.limit
            if evaluation.last_update and evaluation.limit
            else None
        )
    )
    window = (
        period.window_start
        if period
        else (
            evaluation.last_update + timedelta(microseconds=1) if evaluation.last_update else None
        )
    )
    cause = upstream_root(session, registry, contract, deadline)
    alert = Alert(
        contract_id=contract.id,
        period_key=key,
        kind="late",
        status="open",
        channel=cause.channel if cause else (channel or ""),
        opened_at=now,
        deadline=deadline,
        window_start=window,
        last_update=evaluation.last_update,
        late_by_seconds=_seconds(evaluation.late_by),
        checked_at=now,
        affected="",
        caused_by_alert_id=cause.id if cause else None,
    )
    session.add(alert)
    session.flush()
    if cause is not None:
        if announce:
            announce_affected(session, registry, cause, now)
        return f"attached to {cause.contract_id}"
    if not channel:
        alert.status = "undeliverable"
        return "late, but the owner team has no on-call channel"
    post_root(session, build_view(registry, contract, alert, now), alert, now)
    note_upstream_quality(session, registry, contract, alert, now)
    return "alert opened"


def refresh_alert(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    evaluation: Evaluation,
    now: datetime,
    snoozed: Silenced | None,
) -> None:
    """Store what this re-check saw; edit the root only if that changes what it shows."""
    alert.late_by_seconds = _seconds(evaluation.late_by)
    alert.last_update = evaluation.last_update
    alert.checked_at = now
    if alert.caused_by_alert_id is None and alert.channel:
        new = announce_affected(session, registry, alert, now, edit=False)  # listed below
        view = build_view(
            registry, contract, alert, now, snoozed_until=snoozed.until if snoozed else None
        )
        edit_root(session, view, alert, now, routine=not new)


RecoveryHook = Callable[[Session, Alert, "datetime | None", str, datetime], object]
"""Told of each recovered alert (session, alert, data arrived, "17 min late", now): incidents
linked to the alert hear it in their threads (wired in bootstrap, so freshness knows no
incidents)."""


BreachHook = Callable[[Session, Alert, datetime], object]
"""Told of each newly opened late alert (session, alert, now): subscribers and webhooks hear
it (wired in bootstrap)."""


def tell_breached(
    session: Session, contract_id: str, key: str, now: datetime, hook: BreachHook
) -> None:
    """Call `hook` with the alert this breach just opened (or attached)."""
    alert = session.scalars(
        select(Alert).where(Alert.contract_id == contract_id, Alert.period_key == key)
    ).first()
    if alert is not None:
        hook(session, alert, now)


def recover(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    evaluation: Evaluation,
    now: datetime,
    on_recovered: RecoveryHook | None = None,
) -> None:
    arrived = evaluation.last_update
    alert.status = "recovered"
    alert.recovered_at = now
    alert.checked_at = now
    alert.last_update = arrived
    deadline = alert.deadline
    late = (arrived - deadline) if arrived and deadline and arrived > deadline else timedelta(0)
    alert.late_by_seconds = int(late.total_seconds())
    words = f"{format_duration(late)} late" if late else "in time after all"
    if on_recovered is not None:
        on_recovered(session, alert, arrived, words, now)
    if alert.caused_by_alert_id is not None:
        cause = session.get(Alert, alert.caused_by_alert_id)
        if cause is not None:
            reply(
                session,
                cause,
                f":large_green_circle: {code(contract.id)} recovered, {escape(words)}.",
                now,
            )
        return
    if alert.channel:
        edit_root(session, build_view(registry, contract, alert, now), alert, now)
        reply(
            session,
            alert,
            f":large_green_circle: Data arrived at "
            f"{when(arrived, now) if arrived else 'an unknown time'}, "
            f"{escape(words)}. Resolved.",
            now,
        )


def recovers(alert: Alert, evaluation: Evaluation) -> bool:
    """An update that counts for the alert's period (or newer than the stale one) arrived."""
    update = evaluation.last_update
    window = alert.window_start
    return update is not None and window is not None and update >= window


def _seconds(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None
