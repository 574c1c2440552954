"""The Slack messages an incident causes, written to the outbox in the caller's transaction.

One root per incident (key `incident:<id>`), edited in place; replies in its thread; a plain
one-line notice, outside any thread, in each Informed team's channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks import Block, section
from bot.blocks.escape import truncate
from bot.blocks.incidents import (
    IncidentView,
    render_informed_notice,
    render_root,
    render_root_text,
)
from bot.incidents.records import root_key
from bot.outbox import POST_MESSAGE, UPDATE, enqueue
from ownership.incident_plan import TeamRef

FALLBACK_LIMIT = 300


def _payload(text: str, blocks: list[Block]) -> dict[str, object]:
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def post_root(session: Session, view: IncidentView, channel: str, now: datetime) -> None:
    enqueue(
        session,
        method=POST_MESSAGE,
        channel=channel,
        now=now,
        payload=_payload(render_root_text(view), render_root(view)),
        root_key=root_key(view.id),
        is_root=True,
    )


def edit_root(session: Session, view: IncidentView, channel: str, now: datetime) -> None:
    enqueue(
        session,
        method=UPDATE,
        channel=channel,
        now=now,
        payload=_payload(render_root_text(view), render_root(view)),
        root_key=root_key(view.id),
    )


def reply(
    session: Session,
    incident_id: int,
    channel: str,
    text: str,
    now: datetime,
    blocks: list[Block] | None = None,
) -> None:
    """A thread reply; `text` is mrkdwn, escaped already, and is its own fallback too."""
    fallback = truncate(text, FALLBACK_LIMIT)
    enqueue(
        session,
        method=POST_MESSAGE,
        channel=channel,
        now=now,
        payload=_payload(fallback, blocks or [section(text)]),
        root_key=root_key(incident_id),
        in_thread=True,
    )


def notify_informed(
    session: Session, view: IncidentView, now: datetime, *, resolved: bool = False
) -> list[TeamRef]:
    """One notice per Informed team with a channel of its own; the teams that got one."""
    text = render_informed_notice(view, resolved=resolved)
    sent: list[TeamRef] = []
    channels: set[str] = {view.plan.channel or ""}
    for ref in view.plan.informed:
        if not ref.channel or ref.channel in channels:
            continue
        channels.add(ref.channel)
        enqueue(
            session,
            method=POST_MESSAGE,
            channel=ref.channel,
            now=now,
            payload=_payload(truncate(text, FALLBACK_LIMIT), [section(text)]),
        )
        sent.append(ref)
    return sent
