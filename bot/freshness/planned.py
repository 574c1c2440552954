"""Planned delays: a registry silence on an upstream asset holds the alerts of everything
downstream of it, and each downstream owner's channel is told once, per silence, why and until
when (docs/freshness.md, "Planned delays")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.headsup import render_planned
from bot.db.models import Alert
from bot.freshness.alerts import Silenced
from bot.freshness.roots import alert_channel
from bot.outbox import enqueue
from ownership.lineage import walk
from ownership.model import Registry

KIND = "planned"


def _key(silenced: Silenced) -> str:
    return f"{KIND}:{silenced.asset}:{silenced.until:%Y%m%dT%H%M%S}"[:64]


def active(registry: Registry, now: datetime) -> list[Silenced]:
    """The registry's silences in force: planned maintenance and backfills. (A Snooze from
    Slack holds the downstream alerts too, but is no plan to announce.)"""
    return [Silenced(s.asset, s.end, s.reason) for s in registry.silences
            if s.start <= now < s.end]  # fmt: skip


def _planned(registry: Registry, silenced: Silenced) -> bool:
    return any(s.asset == silenced.asset and s.end == silenced.until for s in registry.silences)


def notify(
    session: Session, registry: Registry, silences: Iterable[Silenced], now: datetime
) -> int:
    """Tell each downstream owner channel of each silence, once; how many notices were queued."""
    sent = 0
    for silenced in silences:
        if not _planned(registry, silenced):
            continue
        below = {a for a, _ in walk(registry, silenced.asset, "down",
                                    max_depth=len(registry.assets))}  # fmt: skip
        if not below:
            continue
        own = {alert_channel(registry, c) for c in registry.contracts.values()
               if c.asset == silenced.asset}  # fmt: skip
        channels: dict[str, list[str]] = {}
        for contract in registry.contracts.values():
            channel = alert_channel(registry, contract)
            if contract.asset in below and channel and channel not in own:
                channels.setdefault(channel, []).append(contract.id)
        key = _key(silenced)
        for channel, contracts in sorted(channels.items()):
            done = session.scalars(
                select(Alert.id).where(
                    Alert.kind == KIND, Alert.channel == channel, Alert.period_key == key
                )
            ).first()
            if done is not None:
                continue
            row = Alert(
                contract_id=contracts[0], period_key=key, kind=KIND, status="noticed",
                channel=channel, opened_at=now, deadline=silenced.until,
                affected=",".join(contracts),
            )  # fmt: skip
            session.add(row)
            session.flush()
            payload = render_planned(silenced.asset, silenced.until, silenced.reason,
                                     sorted(contracts), now)  # fmt: skip
            enqueue(session, method="chat.postMessage", channel=channel, now=now,
                    payload=payload, root_key=f"{KIND}:{row.id}", is_root=True)  # fmt: skip
            sent += 1
    return sent
