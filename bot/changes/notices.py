"""Change notices in Slack: an announcement in the contract's change channel tagging every
consumer team, then reminders 7 days and 1 day before the change takes effect.

The notices are the registry's `change_notices:` (see `ownership.changes`). `tick()` runs at
start and every few minutes; each message is recorded in `change_notice_posts` in the same
transaction as its outbox row, under a unique (notice, kind) key, so it is posted once across
restarts and replicas. A reminder that fell due while the bot was down, or before the
announcement went out, is recorded as superseded instead of being sent late.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks import Block, context, section
from bot.blocks.escape import bold, code, escape, usergroup_mention
from bot.db.models import ChangeNoticePost
from bot.outbox import enqueue
from ownership.changes import effective_date
from ownership.model import ChangeNotice, Contract, Registry

log = logging.getLogger(__name__)
REMINDERS = (7, 1)  # days before the change takes effect
ANNOUNCE = "announce"
AnnounceHook = Callable[[Session, Contract, ChangeNotice, date, datetime], object]
"""Told of each announcement, in its transaction (subscribers hear it; wired in bootstrap)."""


@dataclass(frozen=True)
class NoticeAction:
    notice_id: str
    kind: str
    channel: str


def due_kinds(notice: ChangeNotice, effective: date, today: date) -> list[str]:
    """The messages due by `today`, in order: the announcement, then the reminders."""
    if today < notice.announced or today > effective:
        return []
    kinds = [ANNOUNCE]
    for days in REMINDERS:
        at = effective - timedelta(days=days)
        if at > notice.announced and today >= at:
            kinds.append(f"remind-{days}")
    return kinds


def root_key(notice: ChangeNotice) -> str:
    return "notice:" + hashlib.sha256(notice.id.encode()).hexdigest()[:24]


class ChangeNoticeService:
    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_announced: AnnounceHook | None = None,
    ) -> None:
        self.on_announced = on_announced
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.registry = registry
        self.clock = clock

    def tick(self) -> list[NoticeAction]:
        registry, now = self.registry(), self.clock()
        today = now.astimezone(UTC).date()
        out = []
        for notice in registry.change_notices:
            contract = registry.contracts.get(notice.contract)
            if contract is None or not contract.change_policy.channel:
                continue  # validation says so
            effective = effective_date(notice, contract)
            kinds = due_kinds(notice, effective, today)
            if kinds:
                action = self._post(registry, contract, notice, effective, kinds, now)
                if action is not None:
                    out.append(action)
        return out

    def _post(
        self,
        registry: Registry,
        contract: Contract,
        notice: ChangeNotice,
        effective: date,
        kinds: list[str],
        now: datetime,
    ) -> NoticeAction | None:
        channel = contract.change_policy.channel or ""
        try:
            with self.sessions.begin() as session:
                done = set(
                    session.scalars(
                        select(ChangeNoticePost.kind).where(ChangeNoticePost.notice_id == notice.id)
                    )
                )
                pending = [k for k in kinds if k not in done]
                if not pending:
                    return None
                send = ANNOUNCE if ANNOUNCE in pending else pending[-1]
                for kind in pending:
                    session.add(
                        ChangeNoticePost(
                            notice_id=notice.id,
                            kind=kind,
                            contract_id=contract.id,
                            channel=channel,
                            effective=effective,
                            posted=kind == send,
                            at=now,
                        )
                    )
                session.flush()  # another replica that got here first makes this fail
                today = now.astimezone(UTC).date()
                announce = send == ANNOUNCE
                if announce:  # the root message; each reminder is broadcast from its thread
                    text, blocks = render_announcement(registry, contract, notice, effective, today)
                    payload: dict[str, Any] = {"text": text, "blocks": blocks}
                else:
                    text = render_reminder(registry, contract, effective, today)
                    payload = {"text": text, "reply_broadcast": True}
                enqueue(
                    session,
                    method="chat.postMessage",
                    channel=channel,
                    payload=payload,
                    now=now,
                    root_key=root_key(notice),
                    is_root=announce,
                    in_thread=not announce,
                )
                if announce and self.on_announced is not None:
                    self.on_announced(session, contract, notice, effective, now)
        except IntegrityError:
            log.info("change notice %s was posted by another replica", notice.id)
            return None
        return NoticeAction(notice.id, send, channel)


def _consumers(registry: Registry, contract: Contract) -> str:
    tags = []
    for team_id in contract.consumer_teams:
        team = registry.teams.get(team_id)
        if team is None:
            continue
        mention = usergroup_mention(team.usergroup.id) if team.usergroup else None
        tags.append(mention or bold(team.name))
    return " ".join(tags) or "no consumer teams are listed"


def _in_days(effective: date, today: date) -> str:
    days = (effective - today).days
    if days <= 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def render_announcement(
    registry: Registry, contract: Contract, notice: ChangeNotice, effective: date, today: date
) -> tuple[str, list[Block]]:
    owner = registry.teams.get(contract.owner_team)
    owner_name = owner.name if owner else contract.owner_team
    days = contract.change_policy.notice_days or 0
    scope = ", ".join(notice.scope) if notice.scope else "the whole contract"
    text = f"Breaking change to {contract.id}, effective {effective:%Y-%m-%d}: {notice.change}"
    blocks = [
        section(
            f":loudspeaker: *Breaking change to {code(contract.id)}*, effective "
            f"*{effective:%a %Y-%m-%d}* ({_in_days(effective, today)})\n>{escape(notice.change)}"
        ),
        section(
            f"Owner: {bold(owner_name)} · Consumers: {_consumers(registry, contract)}\n"
            f"Affects: {escape(scope)}"
        ),
        context(
            f"Announced {notice.announced:%Y-%m-%d} with {days} days' notice, as the contract's "
            f"change policy promises. Reminders {REMINDERS[0]} days and {REMINDERS[1]} day "
            "before it takes effect."
        ),
    ]
    return text, blocks


def render_reminder(registry: Registry, contract: Contract, effective: date, today: date) -> str:
    return (
        f":hourglass_flowing_sand: Reminder: the breaking change to {code(contract.id)} takes "
        f"effect {_in_days(effective, today)}, on {effective:%a %Y-%m-%d}. "
        f"{_consumers(registry, contract)}"
    )
