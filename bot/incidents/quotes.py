"""Slack messages put on an incident's timeline (the "Add to incident timeline" shortcut),
and the lookups the shortcut needs: the incident of a thread, the open incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.escape import escape, link, truncate, user_mention
from bot.db.models import Incident, OpenIncident, SlackRoot
from bot.incidents import messages
from bot.incidents.records import ROOT_PREFIX, add_event
from ownership.model import Registry

MAX_TEXT = 500
MAX_LISTED = 100  # a static select holds at most 100 options


@dataclass(frozen=True)
class Quote:
    """The message as Slack showed it: channel, ts, author (user id), text, permalink."""

    channel: str
    ts: str
    author: str
    text: str
    permalink: str | None = None


@dataclass(frozen=True)
class OpenChoice:
    id: int
    asset: str
    summary: str


def incident_of_thread(session: Session, channel: str, thread_ts: str) -> int | None:
    """The incident whose root message is `thread_ts` in `channel` (a reply's thread, or the
    root itself)."""
    key = session.scalar(
        select(SlackRoot.key).where(
            SlackRoot.key.like(f"{ROOT_PREFIX}%"),
            SlackRoot.channel == channel,
            SlackRoot.ts == thread_ts,
        )
    )
    number = key.removeprefix(ROOT_PREFIX) if key else ""
    return int(number) if number.isdigit() else None


def open_choices(session: Session) -> list[OpenChoice]:
    rows = session.scalars(
        select(Incident)
        .join(OpenIncident, OpenIncident.incident_id == Incident.id)
        .order_by(Incident.id.desc())
        .limit(MAX_LISTED)
    )
    return [OpenChoice(r.id, r.asset, r.summary) for r in rows]


def author_name(registry: Registry, user_id: str) -> str:
    """ "Chen Wei (U0CHENWEI)" when the registry knows the person, else the id."""
    for team in registry.teams.values():
        people = team.members + (team.rotation.members if team.rotation else ())
        for person in people:
            if person.slack_id == user_id:
                return f"{person.name} ({user_id})"
    return user_id or "someone"


def clean(text: str) -> str:
    """One line of at most MAX_TEXT characters (Slack's own escaping undone is not needed:
    timeline details are plain text, escaped where shown)."""
    return truncate(" ".join(text.split()), MAX_TEXT)


def add_quote(
    session: Session,
    registry: Registry,
    row: Incident,
    quote: Quote,
    actor: str,
    now: datetime,
) -> None:
    """Record the message on the timeline and say so in the incident's thread."""
    who = author_name(registry, quote.author)
    where = f" ({quote.permalink})" if quote.permalink else ""
    add_event(session, row.id, "message", now, actor, f"{who}: {clean(quote.text)}{where}")
    shown = link(quote.permalink, "a message") if quote.permalink else "a message"
    by = user_mention(actor) or "someone"
    messages.reply(
        session,
        row.id,
        row.channel,
        f":pushpin: {by} added {shown} by {escape(who)} to the timeline: "
        f">{escape(truncate(clean(quote.text), 200))}",
        now,
    )
