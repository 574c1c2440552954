"""Lineage grouping: a downstream contract late while an upstream one has an open alert is
attached to it ("also affected") instead of getting a root of its own.

"Also affected" is announced in batches, not per contract: one outage upstream of 1,000
contracts would otherwise queue 1,000 edits of the root and 1,000 thread replies, half an
hour of Slack's 1 message/s/channel (bench/b4_storm.py). A downstream alert is recorded at
once (`caused_by_alert_id`); the cause's `affected` list holds the ones already announced, so
what is left to announce is derived from the database and survives a crash. A sweep announces
once at its end; a single check announces unless an edit of the root is still queued (that
one goes first; the next check or the upstream's re-check announces the rest).

When the upstream recovers and the downstream is still late a while later, the downstream is
its own problem: `promote` gives it its own root.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Alert, OutboxMessage
from bot.escape import code, escape
from bot.freshness.roots import (
    alert_channel,
    build_view,
    edit_root,
    open_alerts,
    post_root,
    reply,
    root_key,
)
from bot.outbox.enqueue import PENDING, UPDATE
from ownership.lineage import walk
from ownership.model import Contract, Registry


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


def cause_settled(cause: Alert | None, now: datetime, grace: timedelta) -> bool:
    """The upstream recovered a while ago (time for this pipeline to rerun), or vanished."""
    if cause is None:
        return True
    recovered = cause.recovered_at
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
