"""Quality alert transitions, in the caller's transaction: open (or fold under an upstream
contract's open quality alert, or its late-data alert: one incident, one root), edit in
place when the numbers change, resolve when the check passes again. One alert per contract,
period and check (a unique key: replicas racing to open it cannot both win)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Alert, QualityAlert
from bot.freshness import roots as R
from bot.freshness.cascade import root_of
from bot.freshness.quality_hint import note_downstream_late
from bot.outbox import enqueue
from bot.quality import messages as M
from bot.quality.routing import informed_channels, owner_channel
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.quality.verdict import Verdict


def open_alerts(session: Session, contract_id: str) -> list[QualityAlert]:
    return list(
        session.scalars(
            select(QualityAlert)
            .where(QualityAlert.contract_id == contract_id, QualityAlert.status == "open")
            .order_by(QualityAlert.id)
        )
    )


def open_alerts_of(session: Session, ids: list[str]) -> dict[str, list[QualityAlert]]:
    """The open alerts of many contracts in one query, by contract."""
    out: dict[str, list[QualityAlert]] = {}
    if not ids:
        return out
    rows = session.scalars(
        select(QualityAlert)
        .where(QualityAlert.contract_id.in_(ids), QualityAlert.status == "open")
        .order_by(QualityAlert.id)
    )
    for alert in rows:
        out.setdefault(alert.contract_id, []).append(alert)
    return out


def upstream_cause(
    session: Session, registry: Registry, contract: Contract, now: datetime
) -> QualityAlert | Alert | None:
    """The root a new breach of `contract` folds under: the nearest upstream contract's open
    quality alert (with a root of its own), or its open late-data alert whose breach began
    (its deadline passed) before now, followed to its root (`bot.freshness.cascade`, the
    freshness rule: a downstream already broken is its own problem). Nearest first."""
    for asset, _ in walk(registry, contract.asset, "up"):
        up = registry.contract_for(asset)
        if up is None:
            continue
        quality = _quality_root(session, up.id)
        if quality is not None:
            return quality
        for late in R.open_alerts(session, up.id):
            if late.deadline is not None and late.deadline < now:
                root = root_of(session, late)
                if root is not None:
                    return root
    return None


def _quality_root(session: Session, up_id: str) -> QualityAlert | None:
    return session.scalars(
        select(QualityAlert)
        .where(
            QualityAlert.contract_id == up_id,
            QualityAlert.status == "open",
            QualityAlert.caused_by_id.is_(None),
            QualityAlert.caused_by_late_id.is_(None),
            QualityAlert.check_id != "check-failed",  # unverified is not a cause
        )
        .order_by(QualityAlert.id)
    ).first()


def breach(
    session: Session,
    registry: Registry,
    contract: Contract,
    period: str,
    verdict: Verdict,
    now: datetime,
    scanned: str,
    alert: QualityAlert | None = None,
) -> str | None:
    """A failed check: open its alert, or edit the open one (`alert`, when the caller has it
    at hand); what happened, for reports."""
    words = verdict.words()
    if alert is None:
        alert = session.scalars(
            select(QualityAlert).where(
                QualityAlert.contract_id == contract.id,
                QualityAlert.period_key == period,
                QualityAlert.check_id == verdict.rule.id,
            )
        ).first()
    if alert is not None:
        alert.checked_at = now
        if alert.status != "open":
            alert.status, alert.resolved_at, alert.detail = "open", None, words
            _post_root(session, registry, contract, alert, now, scanned, edit=True)
            return "reopened"
        if alert.detail == words:
            return None
        alert.detail = words
        if alert.caused_by_id is None and alert.caused_by_late_id is None:
            _post_root(session, registry, contract, alert, now, scanned, edit=True)
            _thread(session, alert, M.changed_note(alert), now)
        return "still failing"
    cause = upstream_cause(session, registry, contract, now)
    channel = cause.channel if cause else owner_channel(registry, contract)
    if not channel:
        return "failed, but the owner team has no on-call channel"
    alert = QualityAlert(
        contract_id=contract.id,
        period_key=period,
        check_id=verdict.rule.id,
        status="open",
        channel=channel,
        consumer_channels="" if cause else ",".join(informed_channels(registry, contract, channel)),
        detail=words,
        opened_at=now,
        checked_at=now,
        caused_by_id=cause.id if isinstance(cause, QualityAlert) else None,
        caused_by_late_id=cause.id if isinstance(cause, Alert) else None,
    )
    session.add(alert)
    session.flush()  # the unique key: only one replica gets past this line
    if isinstance(cause, Alert):
        R.reply(session, cause, M.downstream_note(contract, alert), now)
        return f"attached to {cause.contract_id}'s late-data alert"
    if cause is not None:
        _reply(session, cause, M.downstream_note(contract, alert), now)
        return f"attached to {cause.contract_id}"
    _post_root(session, registry, contract, alert, now, scanned, edit=False)
    for channel, key in _consumer_threads(alert):
        _say(session, channel, key, M.fyi(registry, contract, alert), now, root=True)
    note_downstream_late(session, registry, contract, alert, now)
    return "alert opened"


def resolve(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: QualityAlert,
    now: datetime,
    scanned: str,
) -> None:
    alert.status, alert.resolved_at, alert.checked_at = "resolved", now, now
    note = M.resolved_note(contract, alert)
    if alert.caused_by_late_id is not None:
        late = session.get(Alert, alert.caused_by_late_id)
        if late is not None:
            R.reply(session, late, note, now)
        return
    if alert.caused_by_id is not None:
        cause = session.get(QualityAlert, alert.caused_by_id)
        if cause is not None:
            _reply(session, cause, note, now)
        return
    _post_root(session, registry, contract, alert, now, scanned, edit=True)
    _thread(session, alert, note, now)


def _key(alert: QualityAlert) -> str:
    return f"quality:{alert.id}"


def _consumer_threads(alert: QualityAlert) -> list[tuple[str, str]]:
    channels = [c for c in alert.consumer_channels.split(",") if c]
    return [(c, f"{_key(alert)}:{i}") for i, c in enumerate(channels)]


def _post_root(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: QualityAlert,
    now: datetime,
    scanned: str,
    *,
    edit: bool,
) -> None:
    text, blocks = M.render_root(registry, contract, alert, now, scanned)
    enqueue(
        session,
        method="chat.update" if edit else "chat.postMessage",
        channel=alert.channel,
        now=now,
        payload={"text": text, "blocks": blocks},
        root_key=_key(alert),
        is_root=not edit,
    )


def _thread(session: Session, alert: QualityAlert, text: str, now: datetime) -> None:
    """`text` in the owner's thread and each consumer's."""
    for channel, key in [(alert.channel, _key(alert)), *_consumer_threads(alert)]:
        _say(session, channel, key, text, now, root=False)


def _reply(session: Session, cause: QualityAlert, text: str, now: datetime) -> None:
    _say(session, cause.channel, _key(cause), text, now, root=False)


def _say(session: Session, channel: str, key: str, text: str, now: datetime, *, root: bool) -> None:
    enqueue(
        session,
        method="chat.postMessage",
        channel=channel,
        now=now,
        payload={"text": text},
        root_key=key,
        is_root=root,
        in_thread=not root,
    )
