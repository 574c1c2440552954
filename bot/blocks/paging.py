"""The "Page … on-call" button on answers (with Slack's confirm dialog) and what a page says.

A page is the one message from an answer that mentions anyone: the person on call, in the
team's on-call channel, after the asker confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.blocks import Block, ids
from bot.blocks.escape import channel_ref, code, escape, truncate, user_mention
from ownership.answers import TeamRoles
from ownership.model import Person, Role, Team

MAX_PAGE_BUTTONS = 3
NAME_LIMIT = 60
QUERY_LIMIT = 200
# Slack's limits: confirm title 100, text 300, button text 75 (plain text).
TITLE_LIMIT, CONFIRM_TEXT_LIMIT, BUTTON_TEXT_LIMIT = 100, 300, 75


def page_value(team_id: str, query: str) -> str:
    """ "<team id> <asked about>": the button's value, read by `read_page_value`."""
    return f"{team_id} {query[:QUERY_LIMIT]}".strip()


def read_page_value(value: str) -> tuple[str, str]:
    team_id, _, query = value.strip().partition(" ")
    return team_id, query.strip()


def page_buttons(teams: Iterable[TeamRoles], query: str) -> list[Block]:
    """One actions block per R/A team with someone on call (at most three)."""
    blocks: list[Block] = []
    for entry in teams:
        owns = Role.RESPONSIBLE in entry.roles or Role.ACCOUNTABLE in entry.roles
        if not owns or entry.oncall is None or len(blocks) >= MAX_PAGE_BUTTONS:
            continue
        blocks.append(
            {
                "type": "actions",
                "block_id": f"page:{entry.team.id}"[:255],
                "elements": [page_button(entry.team, entry.oncall, query)],
            }
        )
    return blocks


def page_button(team: Team, person: Person, query: str) -> Block:
    """The button (confirming first) that pages `person`, on call for `team`."""
    who = truncate(person.name or person.email or "the on-call", NAME_LIMIT)
    team_name = truncate(team.name, NAME_LIMIT)
    where = f" in {team.oncall_channel}" if team.oncall_channel else " by direct message"
    text = f"This notifies {who} ({team_name} on-call) now{where}, at any hour."
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(f"Page {team_name} on-call", 75)},
        "action_id": ids.PAGE_ONCALL_ACTION,
        "value": page_value(team.id, query),
        "confirm": {
            "title": {"type": "plain_text", "text": truncate(f"Page {who}?", TITLE_LIMIT)},
            "text": {"type": "plain_text", "text": truncate(text, CONFIRM_TEXT_LIMIT)},
            "confirm": {"type": "plain_text", "text": "Page"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        },
    }


def render_page_text(
    person: Person, team: Team, asker: str, query: str, from_channel: str | None
) -> str:
    """The page itself: mentions the on-call (when they have a Slack id) and names the asker."""
    who = user_mention(person.slack_id) or escape(truncate(person.name, NAME_LIMIT))
    by = user_mention(asker) or "someone"
    about = f" about {code(truncate(query, NAME_LIMIT))}" if query else ""
    where = f" (asked in {channel_ref(from_channel)})" if from_channel else ""
    return (
        f":rotating_light: {who}, {by} is asking the {escape(team.name)} on-call for help"
        f"{about}{where}. Reply in this thread."
    )


def render_paged_reply(person: Person, team: Team, channel: str | None) -> str:
    """What the asker is told (ephemerally) once the page is on its way."""
    where = f" in {channel_ref(channel)}" if channel else " by direct message"
    name = escape(truncate(person.name or person.email or "the on-call", NAME_LIMIT))
    return f"Paged {name} ({escape(team.name)} on-call){where}. Follow up there."
