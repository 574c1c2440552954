""" "Page … on-call" from an answer: recorded, and the page sent through the outbox.

The record and the outbox row are one transaction: a page is never recorded and not sent,
nor sent twice (a replayed click is dropped by the caller, by Slack's `action_ts`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.blocks.escape import escape, truncate
from bot.blocks.paging import render_page_text, render_paged_reply
from bot.db.models import OncallPage
from bot.outbox.enqueue import POST_MESSAGE, URGENT, enqueue
from ownership.model import Registry
from ownership.oncall import on_call


def page_oncall(
    engine: Engine,
    registry: Registry,
    *,
    team_id: str,
    asker: str,
    query: str,
    from_channel: str | None,
    now: datetime,
) -> str:
    """Page `team_id`'s on-call for `asker`; the text to tell the asker. `registry` is as
    answers see it (`effective_registry`: with shifts taken in Slack)."""
    team = registry.teams.get(team_id)
    if team is None:
        return f"There is no team {escape(truncate(team_id, 80))} in the registry any more."
    person = on_call(team, now)
    if person is None:
        return (
            f"Nobody is on call for {escape(team.name)} right now (no rotation in the registry)."
            " Ask in the team's channel instead."
        )
    channel = team.oncall_channel or person.slack_id
    if channel is None:
        return (
            f"I can't reach {escape(person.name)}: {escape(team.name)} has no `oncall_channel`"
            " and they have no Slack id in the registry."
        )
    text = render_page_text(person, team, asker, query, from_channel)
    with Session(engine) as session, session.begin():
        session.add(
            OncallPage(
                team_id=team.id,
                paged=person.key[:200],
                asked_by=asker[:40],
                query=query[:300],
                from_channel=from_channel,
                channel=channel,
                created_at=now,
            )
        )
        enqueue(
            session,
            method=POST_MESSAGE,
            channel=channel,
            payload={"text": text, "unfurl_links": False, "unfurl_media": False},
            now=now,
            priority=URGENT,
        )
    return render_paged_reply(person, team, team.oncall_channel)
