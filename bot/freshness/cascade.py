"""Lineage grouping: a downstream contract late because an upstream one broke first is listed
under the upstream's root ("also affected") instead of getting a root of its own.

Which root: the nearest upstream alert that is open and whose breach began (its deadline
passed) before the downstream's deadline, followed along `caused_by_alert_id` to the alert
that has a root message of its own, at any depth (`upstream_root`). A downstream that was
late already when its upstream broke is not caused by it: it gets its own root at once.

"Also affected" is announced in the check (or sweep) that finds the downstream late, and in
batches: one outage upstream of 1,000 contracts would otherwise queue 1,000 edits of the root
and 1,000 thread replies, half an hour of Slack's 1 message/s/channel (bench/b4_storm.py). A
sweep announces once at its end; a single check announces at once, replacing the edit and the
"also affected" reply of this root still waiting in the outbox (so they are never more than
one edit and one reply behind). The cause's `affected` list holds the ones announced, so what
is left to announce is derived from the database and survives a crash.

When the upstream recovers and the downstream is still late a while later, the downstream is
its own problem (`promote` gives it its own root), unless another upstream it depends on is
still late: then it moves under that one's root (`rehome`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.escape import code, escape
from bot.db.models import Alert
from bot.freshness.holds import hold, say_held
from bot.freshness.quality_hint import note_upstream_quality
from bot.freshness.roots import (
    alert_channel,
    build_view,
    edit_root,
    open_alerts_of,
    post_root,
    reply,
    team_name,
    withdraw,
)
from ownership.lineage import walk
from ownership.model import Contract, Registry


def root_of(session: Session, alert: Alert) -> Alert | None:
    """The alert `alert` is listed under, following `caused_by_alert_id` to the end: the one
    with a root message of its own (open, or recovered while the ones under it wait to
    rerun; see `refold`). None when that root was never posted (no channel)."""
    seen = {alert.id}
    while alert.caused_by_alert_id is not None:
        cause = session.get(Alert, alert.caused_by_alert_id)
        if cause is None or cause.id in seen:
            return None
        seen.add(cause.id)
        alert = cause
    return alert if alert.status in ("open", "recovered") else None


def upstream_root(
    session: Session, registry: Registry, contract: Contract, deadline: datetime | None
) -> Alert | None:
    """The root a breach of `contract` with this `deadline` is listed under, if any.

    Only an upstream breach that began (its deadline passed) before ours can be the cause: a
    downstream that was late already is its own problem. The nearest such open upstream alert
    wins, at any depth; if it is itself listed under another one, the root of that chain.
    """
    if deadline is None:  # never had data: no upstream breach explains it
        return None
    upstreams = []
    for asset_id, _ in walk(registry, contract.asset, "up", max_depth=len(registry.assets)):
        upstream = registry.contract_for(asset_id)
        if upstream is not None:
            upstreams.append(upstream.id)
    by_contract = open_alerts_of(session, upstreams)  # one query, not one per upstream
    for upstream_id in upstreams:  # nearest first
        for alert in by_contract.get(upstream_id, ()):
            if alert.deadline is None or alert.deadline >= deadline:
                continue
            root = root_of(session, alert)
            if root is not None:
                return root
    return None


REPLY_CHARS = 2800  # a section block holds 3,000 characters


def announce_affected(
    session: Session, registry: Registry, cause: Alert, now: datetime, *, edit: bool = True
) -> int:
    """List the contracts attached to `cause` (and still late) that it does not list yet: an
    edit of its root (`edit`) and a thread reply naming them. Returns how many.

    Nothing waits for a later check: while an earlier edit or "also affected" reply of this
    root is still in the outbox, the new one replaces it (`roots.edit_root`, `_note`), so a
    storm of single checks costs about one edit and one reply per delivery, not one each.
    """
    announced = [a for a in cause.affected.split(",") if a]
    known = set(announced)
    attached = session.scalars(
        select(Alert.contract_id)
        .where(Alert.caused_by_alert_id == cause.id, Alert.kind == "late", Alert.status == "open")
        .order_by(Alert.id)
    )
    new = [c for c in dict.fromkeys(attached) if c not in known]
    if not new:
        return 0
    cause.affected = ",".join([*announced, *new])
    upstream = registry.contracts.get(cause.contract_id)
    if edit and upstream is not None:
        edit_root(session, build_view(registry, upstream, cause, now), cause, now)
    _note(session, cause, new, now)
    return len(new)


def _note(session: Session, cause: Alert, new: list[str], now: datetime) -> None:
    """The "also affected" thread reply, merged with the one still queued, if any."""
    queued = [n for n in (cause.note_names or "").split(",") if n]
    if not (queued and cause.note_outbox_id and withdraw(session, cause.note_outbox_id)):
        queued = []
    names = [*queued, *new]
    chunks: list[tuple[str, list[str]]]
    if len(names) == 1:
        text = f"Also affected: {code(names[0])} is late too, most likely because of this."
        chunks = [(text, names)]
    else:
        head = f"Also affected, most likely because of this: {len(names)} more contracts are late: "
        chunks = []
        chunk: list[str] = []
        for name in names:
            size = len(head) + sum(len(code(c)) + 2 for c in chunk) + len(code(name))
            if chunk and size > REPLY_CHARS:
                chunks.append((head + ", ".join(map(code, chunk)), chunk))
                head, chunk = "Also affected (continued): ", []
            chunk.append(name)
        chunks.append((head + ", ".join(map(code, chunk)), chunk))
    for text, _ in chunks:
        message = reply(session, cause, text, now)
    session.flush()
    cause.note_outbox_id = message.id
    cause.note_names = ",".join(chunks[-1][1])


def announce_all(session: Session, registry: Registry, now: datetime) -> int:
    """Announce what every open root alert has left unannounced (at the end of a sweep)."""
    causes = session.scalars(
        select(Alert)
        .where(
            Alert.id.in_(
                select(Alert.caused_by_alert_id).where(Alert.caused_by_alert_id.is_not(None))
            ),
            Alert.status.in_(("open", "recovered")),
            Alert.caused_by_alert_id.is_(None),
        )
        .order_by(Alert.id)
    )
    return sum(announce_affected(session, registry, cause, now) for cause in list(causes))


def cause_settled(cause: Alert | None, now: datetime, grace: timedelta) -> bool:
    """The upstream recovered a while ago (time for this pipeline to rerun), or vanished."""
    if cause is None:
        return True
    recovered = cause.recovered_at
    return cause.status != "open" and recovered is not None and now - recovered >= grace


def refold(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    now: datetime,
    grace: timedelta,
) -> str | None:
    """Where an attached alert belongs once its cause has settled; None while it stays.

    Still explained by another upstream that is late: listed under that one's root. Only
    upstream alerts waiting for their own root (under the settled cause): wait for them.
    Nothing upstream late any more: its own root.
    """
    cause = session.get(Alert, alert.caused_by_alert_id) if alert.caused_by_alert_id else None
    if not cause_settled(cause, now, grace):
        return None
    root = upstream_root(session, registry, contract, alert.deadline)
    if root is None:
        held = hold(session, registry, contract, now, cause)  # its pipeline cannot have rerun
        if held is not None:
            say_held(session, registry, contract, alert.period_key, held, now)
            return None
        return promote(session, registry, contract, alert, cause, now)
    if cause is not None and root.id == cause.id:
        return None
    return rehome(session, registry, contract, alert, cause, root, now)


def rehome(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: Alert,
    old: Alert | None,
    root: Alert,
    now: datetime,
) -> str:
    """`old` settled but `root` (another upstream still late) explains the breach now."""
    if old is not None:
        reply(
            session,
            old,
            f"{code(contract.id)} is still late after this recovered; it is listed under "
            f"{code(root.contract_id)}'s alert now.",
            now,
        )
    alert.caused_by_alert_id = root.id
    alert.channel = root.channel
    announce_affected(session, registry, root, now)
    return f"attached to {root.contract_id}"


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
            f"its owner {escape(team_name(registry, contract.owner_team))} has been alerted.",
            now,
        )
    alert.caused_by_alert_id = None
    if not channel:
        alert.status = "undeliverable"
        return "late, but the owner team has no on-call channel"
    alert.channel = channel
    post_root(session, build_view(registry, contract, alert, now), alert, now)
    note_upstream_quality(session, registry, contract, alert, now)
    upstream = cause.contract_id if cause is not None else "its upstream"
    reply(
        session,
        alert,
        f"This was waiting on {code(upstream)}, which recovered; "
        f"{code(contract.id)} is still late.",
        now,
    )
    return "alert opened (upstream recovered)"
