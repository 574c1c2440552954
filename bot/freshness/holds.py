"""Held pages: a downstream contract that breaches while its upstream's responder has given an
ETA (or just after the upstream landed) is not paged on its own before the upstream's landing
plus the edge's lag has passed: its pipeline cannot have rerun yet (docs/freshness.md, "ETAs").

A hold is said once per period, as an `alerts` row of kind `held` (status `warned`), in the
thread of the downstream's predicted warning if there is one, else in the upstream alert's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.alerts import render_thread_note
from bot.blocks.escape import code
from bot.db.models import Alert, ContractStatus, EtaRow
from bot.freshness import predictions as P
from bot.freshness.roots import reply
from bot.outbox import enqueue
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.timeparse import format_duration, format_instant

KIND = "held"


@dataclass(frozen=True)
class Hold:
    until: datetime
    upstream: Alert  # the upstream's late alert (with the ETA, or recovered)
    start: datetime  # the ETA, or when the upstream landed
    eta: bool
    lag: str


def _starts(
    session: Session, registry: Registry, contract: Contract, cause: Alert | None
) -> list[tuple[Alert, datetime, bool]]:
    """Upstream alerts with a standing ETA (nearest first), and the settled `cause`'s landing."""
    found: list[tuple[Alert, datetime, bool]] = []
    if cause is not None and cause.status != "open" and cause.recovered_at is not None:
        status = session.get(ContractStatus, cause.contract_id)
        landed = status.last_update if status and status.last_update else cause.recovered_at
        found.append((cause, landed, False))
    ids = [
        c.id
        for asset_id, _ in walk(registry, contract.asset, "up", max_depth=len(registry.assets))
        if (c := registry.contract_for(asset_id)) is not None
    ]
    if not ids:
        return found
    rows = session.execute(
        select(Alert, EtaRow)
        .join(EtaRow, EtaRow.alert_id == Alert.id)
        .where(Alert.contract_id.in_(ids), Alert.kind == "late", Alert.status == "open")
        .order_by(EtaRow.id.desc())
    ).all()
    latest: dict[int, tuple[Alert, datetime, bool]] = {}
    for alert, eta in rows:
        latest.setdefault(alert.id, (alert, eta.eta, True))
    order = {cid: i for i, cid in enumerate(ids)}
    found.extend(sorted(latest.values(), key=lambda t: order.get(t[0].contract_id, 0)))
    return found


def hold(
    session: Session,
    registry: Registry,
    contract: Contract,
    now: datetime,
    cause: Alert | None = None,
) -> Hold | None:
    """Until when the page of `contract`'s breach waits, if it does."""
    for alert, start, is_eta in _starts(session, registry, contract, cause):
        upstream = registry.contracts.get(alert.contract_id)
        if upstream is None:
            continue
        for p in P.expectations(session, registry, upstream, start, now, usual_times=False):
            if p.contract == contract.id and now < p.arrival:
                return Hold(p.arrival, alert, start, is_eta, format_duration(p.lag))
    return None


def say_held(
    session: Session, registry: Registry, contract: Contract, period_key: str, h: Hold,
    now: datetime,
) -> str:  # fmt: skip
    """Say once per period that the page waits, and why; the action for the check report."""
    key = f"{KIND}:{period_key}"[:64]
    action = f"held until {h.until:%Y-%m-%d %H:%M} UTC"
    row = session.scalars(
        select(Alert).where(Alert.contract_id == contract.id, Alert.period_key == key)
    ).first()
    if row is not None:
        return action
    up = code(h.upstream.contract_id)
    why = (
        f"{up} has an ETA of {format_instant(h.start, now)}"
        if h.eta
        else f"{up} landed at {format_instant(h.start, now)}"
    )
    text = (
        f":hourglass_flowing_sand: {code(contract.id)} is late too, but its page is held until "
        f"{format_instant(h.until, now)}: {why} and {code(contract.id)} usually lands "
        f"{h.lag} after it. If it is still late then, its owner is paged."
    )
    warning = session.scalars(
        select(Alert).where(
            Alert.contract_id == contract.id,
            Alert.kind == P.KIND,
            Alert.period_key == f"{P.KIND}:{period_key}"[:64],
        )
    ).first()
    session.add(Alert(contract_id=contract.id, period_key=key, kind=KIND, status="warned",
                      channel=warning.channel if warning else h.upstream.channel, opened_at=now,
                      affected=h.upstream.contract_id, last_update=h.until))  # fmt: skip
    if warning is not None:
        enqueue(session, method="chat.postMessage", channel=warning.channel, now=now,
                payload={"text": text, "blocks": render_thread_note(text)},
                root_key=f"{P.KIND}:{warning.id}", in_thread=True)  # fmt: skip
    if h.upstream.channel:
        reply(session, h.upstream, text, now)
    return action
