"""Alert state transitions for one contract check, written in the caller's transaction.

One root message per contract and breach (a deadline period, or one stale update for age
SLAs). A downstream contract that is late while an upstream contract has an open alert gets no
root of its own: it is listed under the upstream's ("also affected"). Re-checks edit the root in
place; recovery edits it to "recovered, 47 min late" and says so in the thread.

"Also affected" is announced in batches, not per contract: one outage upstream of 1,000
contracts would otherwise queue 1,000 edits of the root and 1,000 thread replies, half an
hour of Slack's 1 message/s/channel (bench/b4_storm.py). A downstream alert is recorded at
once (`caused_by_alert_id`); the cause's `affected` list holds the ones already announced, so
what is left to announce is derived from the database and survives a crash. A sweep announces
once at its end; a single check announces unless an edit of the root is still queued (that
one goes first; the next check or the upstream's re-check announces the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.alerts import AlertView, render_alert, render_alert_text, render_thread_note
from bot.db.models import Alert, OutboxMessage, SilenceRow
from bot.escape import code, escape
from bot.incidents.links import tell_incidents_data_recovered
from bot.outbox import enqueue
from bot.outbox.enqueue import PENDING, UPDATE
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.oncall import on_call
from ownership.sla import Evaluation, describe_age_sla, describe_sla
from ownership.timeparse import format_duration


@dataclass(frozen=True)
class Silenced:
    asset: str
    until: datetime
    reason: str


def alert_channel(registry: Registry, contract: Contract) -> str | None:
    owner = registry.teams.get(contract.owner_team)
    return contract.alert_channel or (owner.oncall_channel if owner else None)


def root_key(alert: Alert) -> str:
    return f"alert:{alert.id}"


def active_silence(
    session: Session, registry: Registry, contract: Contract, now: datetime
) -> Silenced | None:
    """A silence on the contract's asset, or on anything upstream of it, covering `now`."""
    assets = [contract.asset] + [a for a, _ in walk(registry, contract.asset, "up")]
    for silence in registry.silences:
        if silence.asset in assets and silence.start <= now < silence.end:
            return Silenced(silence.asset, silence.end, silence.reason)
    row = session.scalars(
        select(SilenceRow)
        .where(SilenceRow.asset.in_(assets), SilenceRow.starts_at <= now, SilenceRow.ends_at > now)
        .order_by(SilenceRow.ends_at.desc())
    ).first()
    return Silenced(row.asset, _aware(row.ends_at), row.reason) if row else None


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def build_view(
    registry: Registry,
    contract: Contract,
    alert: Alert,
    now: datetime,
    *,
    snoozed_until: datetime | None = None,
    error: str | None = None,
    failures: int = 0,
) -> AlertView:
    owner = registry.teams.get(contract.owner_team)
    asset = registry.assets.get(contract.asset)
    words = (
        describe_sla(contract.sla)
        if contract.sla
        else (describe_age_sla(contract.freshness) if contract.freshness else "no SLA")
    )
    late_by = (
        timedelta(seconds=alert.late_by_seconds) if alert.late_by_seconds is not None else None
    )
    return AlertView(
        alert_id=alert.id,
        contract=contract,
        kind=alert.kind,
        status=alert.status,
        sla_words=words,
        owner=owner,
        oncall=on_call(owner, now) if owner else None,
        consumers=tuple(registry.teams[t] for t in contract.consumer_teams if t in registry.teams),
        now=now,
        last_update=_maybe(alert.last_update),
        deadline=_maybe(alert.deadline),
        late_by=late_by,
        recovered_at=_maybe(alert.recovered_at),
        runbook=asset.runbook if asset else None,
        affected=tuple(a for a in alert.affected.split(",") if a),
        error=error,
        failures=failures,
        snoozed_until=snoozed_until,
        incident_ref=f"#{alert.incident_id}" if alert.incident_id else None,
    )


def _maybe(at: datetime | None) -> datetime | None:
    return _aware(at) if at is not None else None


def _send(
    session: Session,
    alert: Alert,
    now: datetime,
    payload: dict[str, object],
    *,
    method: str = "chat.postMessage",
    is_root: bool = False,
    in_thread: bool = False,
) -> None:
    enqueue(
        session,
        method=method,
        channel=alert.channel,
        now=now,
        payload=payload,
        root_key=root_key(alert),
        is_root=is_root,
        in_thread=in_thread,
    )


def post_root(session: Session, view: AlertView, alert: Alert, now: datetime) -> None:
    payload = {"text": render_alert_text(view), "blocks": render_alert(view)}
    _send(session, alert, now, payload, is_root=True)


def edit_root(session: Session, view: AlertView, alert: Alert, now: datetime) -> None:
    payload = {"text": render_alert_text(view), "blocks": render_alert(view)}
    _send(session, alert, now, payload, method="chat.update")


def reply(session: Session, alert: Alert, text: str, now: datetime) -> None:
    _send(session, alert, now, {"text": text, "blocks": render_thread_note(text)}, in_thread=True)


def open_alerts(session: Session, contract_id: str, kind: str = "late") -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.contract_id == contract_id, Alert.kind == kind, Alert.status == "open")
            .order_by(Alert.id)
        )
    )


def upstream_alert(session: Session, registry: Registry, contract: Contract) -> Alert | None:
    """The nearest upstream contract's open root alert (the likely cause), if any."""
    for asset_id, _ in walk(registry, contract.asset, "up"):
        upstream = registry.contract_for(asset_id)
        if upstream is None:
            continue
        for alert in open_alerts(session, upstream.id):
            if alert.caused_by_alert_id is None:
                return alert
    return None


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

    An attached alert is announced now (`announce`, debounced) or by the caller later (a sweep
    calls `announce_all` at its end).
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
    cause = upstream_alert(session, registry, contract)
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
        affected="",
        caused_by_alert_id=cause.id if cause else None,
    )
    session.add(alert)
    session.flush()
    if cause is not None:
        if announce:
            announce_affected(session, registry, cause, now, debounce=True)
        return f"attached to {cause.contract_id}"
    if not channel:
        alert.status = "undeliverable"
        return "late, but the owner team has no on-call channel"
    post_root(session, build_view(registry, contract, alert, now), alert, now)
    return "alert opened"


REPLY_CHARS = 2800  # a section block holds 3,000 characters


def announce_affected(
    session: Session,
    registry: Registry,
    cause: Alert,
    now: datetime,
    *,
    debounce: bool = False,
    edit: bool = True,
) -> int:
    """List the contracts attached to `cause` (and still late) since the last announcement:
    one edit of the root (`edit`) and one thread reply per ~2,800 characters of names.
    Returns how many.

    `debounce`: do nothing while an edit of this root is still queued; the contracts stay
    unannounced in the database until the next call.
    """
    announced = [a for a in cause.affected.split(",") if a]
    known = set(announced)
    attached = session.scalars(
        select(Alert.contract_id)
        .where(Alert.caused_by_alert_id == cause.id, Alert.kind == "late", Alert.status == "open")
        .order_by(Alert.id)
    )
    new = [c for c in dict.fromkeys(attached) if c not in known]
    if not new or (debounce and _edit_queued(session, cause)):
        return 0
    cause.affected = ",".join([*announced, *new])
    upstream = registry.contracts.get(cause.contract_id)
    if edit and upstream is not None:
        edit_root(session, build_view(registry, upstream, cause, now), cause, now)
    if len(new) == 1:
        text = f"Also affected: {code(new[0])} is late too, most likely because of this."
        reply(session, cause, text, now)
        return 1
    head = f"Also affected, most likely because of this: {len(new)} more contracts are late: "
    chunk: list[str] = []
    for name in new:
        if chunk and len(head) + sum(len(c) + 2 for c in chunk) + len(code(name)) > REPLY_CHARS:
            reply(session, cause, head + ", ".join(chunk), now)
            head, chunk = "Also affected (continued): ", []
        chunk.append(code(name))
    reply(session, cause, head + ", ".join(chunk), now)
    return len(new)


def announce_all(session: Session, registry: Registry, now: datetime) -> int:
    """Announce what every open root alert has left unannounced (at the end of a sweep),
    except where an edit of the root is still queued (see `announce_affected`)."""
    causes = session.scalars(
        select(Alert)
        .where(
            Alert.id.in_(
                select(Alert.caused_by_alert_id).where(Alert.caused_by_alert_id.is_not(None))
            ),
            Alert.status == "open",
            Alert.caused_by_alert_id.is_(None),
        )
        .order_by(Alert.id)
    )
    return sum(
        announce_affected(session, registry, cause, now, debounce=True) for cause in list(causes)
    )


def _edit_queued(session: Session, cause: Alert) -> bool:
    queued = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.root_key == root_key(cause),
            OutboxMessage.method == UPDATE,
            OutboxMessage.status == PENDING,
        )
        .limit(1)
    )
    return queued is not None


def refresh_alert(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    evaluation: Evaluation,
    now: datetime,
    snoozed: Silenced | None,
) -> None:
    alert.late_by_seconds = _seconds(evaluation.late_by)
    alert.last_update = evaluation.last_update
    if alert.caused_by_alert_id is None and alert.channel:
        announce_affected(session, registry, alert, now, edit=False)  # the edit below lists all
        view = build_view(
            registry, contract, alert, now, snoozed_until=snoozed.until if snoozed else None
        )
        edit_root(session, view, alert, now)


def recover(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    evaluation: Evaluation,
    now: datetime,
) -> None:
    arrived = evaluation.last_update
    alert.status = "recovered"
    alert.recovered_at = now
    alert.last_update = arrived
    deadline = _maybe(alert.deadline)
    late = (arrived - deadline) if arrived and deadline and arrived > deadline else timedelta(0)
    alert.late_by_seconds = int(late.total_seconds())
    words = f"{format_duration(late)} late" if late else "in time after all"
    tell_incidents_data_recovered(session, alert, arrived, words, now)
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
            f"{arrived.strftime('%H:%M UTC') if arrived else 'an unknown time'}, "
            f"{escape(words)}. Resolved.",
            now,
        )


def recovers(alert: Alert, evaluation: Evaluation) -> bool:
    """An update that counts for the alert's period (or newer than the stale one) arrived."""
    update = evaluation.last_update
    window = _maybe(alert.window_start)
    return update is not None and window is not None and update >= window


def _seconds(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta is not None else None


def cause_settled(cause: Alert | None, now: datetime, grace: timedelta) -> bool:
    """The upstream recovered a while ago (time for this pipeline to rerun), or vanished."""
    if cause is None:
        return True
    recovered = _maybe(cause.recovered_at)
    return cause.status != "open" and recovered is not None and now - recovered >= grace


def promote(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    cause: Alert | None,
    now: datetime,
) -> str:
    """Still late after its upstream recovered: now it is this contract's own problem, so it
    gets its own root in its own channel (and the upstream thread hears about it)."""
    channel = alert_channel(registry, contract)
    if cause is not None:
        reply(
            session,
            cause,
            f"{code(contract.id)} is still late after this recovered; "
            f"its owner {escape(contract.owner_team)} has been alerted.",
            now,
        )
    alert.caused_by_alert_id = None
    if not channel:
        alert.status = "undeliverable"
        return "late, but the owner team has no on-call channel"
    alert.channel = channel
    post_root(session, build_view(registry, contract, alert, now), alert, now)
    upstream = cause.contract_id if cause is not None else "its upstream"
    reply(
        session,
        alert,
        f"This was waiting on {code(upstream)}, which recovered; "
        f"{code(contract.id)} is still late.",
        now,
    )
    return "alert opened (upstream recovered)"
