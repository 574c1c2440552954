"""`/oncall` answers: who is on call now and next, until when in the team's timezone.

Names only, never mentions: asking who is on call pages nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks import Block, cap_blocks, context, ids, section
from bot.blocks.escape import bold, channel_ref, code, escape, truncate
from bot.blocks.paging import page_button
from ownership.model import Person, Team
from ownership.shifts import Shift, upcoming_overrides
from ownership.timeparse import zone

NAME_LIMIT = 80
SOON = timedelta(days=6)  # within this, a weekday names the day without ambiguity
OVERRIDES_AHEAD, MAX_OVERRIDES = timedelta(days=14), 3  # overrides listed ahead of time
ONCALL_USAGE = (
    "• `/oncall` — who is on call now and next for your teams\n"
    "• `/oncall data_engineering` — for one team (id, name or user group handle)\n"
    "• `/oncall take data_engineering [until]` — take the shift from now, e.g. `until 18:00`,"
    " `for 4h`, or to the end of the current shift"
)


def when(at: datetime, timezone: str, now: datetime) -> str:
    """ "Mon 09:00 Europe/Berlin"; with the date when it is more than six days away."""
    local = at.astimezone(zone(timezone))
    shown = (
        f"{local:%a %H:%M}" if abs(at - now) < SOON else f"{local:%a} {local.day} {local:%b %H:%M}"
    )
    return f"{shown} {timezone}"


def person_name(person: Person) -> str:
    return escape(truncate(person.name or person.email or person.slack_id or "someone", NAME_LIMIT))


def timezone_of(team: Team) -> str:
    return team.local_timezone()


def shift_words(shift: Shift, team: Team, now: datetime, *, upcoming: bool = False) -> str:
    tz = timezone_of(team)
    words = person_name(shift.person)
    if upcoming and shift.start is not None:
        words += f", from {when(shift.start, tz, now)}"
    words += f", until {when(shift.end, tz, now)}" if shift.end else " (until: not given)"
    if shift.override is not None:
        words += " (override)"
    return words


def render_oncall_lines(
    team: Team,
    current: Shift | None,
    upcoming: Shift | None,
    now: datetime,
    *,
    unknown: str | None = None,
) -> list[str]:
    lines = [bold(truncate(team.name, NAME_LIMIT))]
    if unknown is not None:
        lines.append(f"⚠ {escape(unknown)}")
    elif current is None:
        lines.append("No on-call rotation in the registry (`oncall:` on the team).")
    else:
        lines.append(f"Now on call: {shift_words(current, team, now)}")
        if upcoming is not None:
            lines.append(f"Next: {shift_words(upcoming, team, now, upcoming=True)}")
        tz = timezone_of(team)
        for cover in upcoming_overrides(team, now, OVERRIDES_AHEAD)[:MAX_OVERRIDES]:
            lines.append(
                f"Override: {person_name(cover.person)}, {when(cover.start, tz, now)}"
                f" – {when(cover.end, tz, now)}"
            )
    if team.oncall_channel:
        lines.append(f"On-call channel: {channel_ref(team.oncall_channel)}")
    return lines


def take_button(team: Team, current: Shift | None, now: datetime) -> Block:
    until = f" until {when(current.end, timezone_of(team), now)}" if current and current.end else ""
    return {
        "type": "actions",
        "block_id": f"take:{team.id}"[:255],
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Take this shift"},
                "action_id": ids.TAKE_SHIFT_ACTION,
                "value": team.id,
                "confirm": {
                    "title": {"type": "plain_text", "text": "Take the on-call shift?"},
                    "text": {
                        "type": "plain_text",
                        "text": truncate(
                            f"You will be on call for {team.name} from now{until}.", 300
                        ),
                    },
                    "confirm": {"type": "plain_text", "text": "Take it"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }
        ],
    }


def oncall_actions(team: Team, current: Shift | None, now: datetime) -> Block | None:
    """ "Take this shift" (a rotation in the registry) and "Page … on-call" (someone is on
    call now; confirms first, like the one under a /whoowns answer) for one team."""
    elements: list[Block] = []
    if team.rotation is not None:
        elements.extend(take_button(team, current, now)["elements"])
    if current is not None:
        elements.append(page_button(team, current.person, ""))
    if not elements:
        return None
    return {"type": "actions", "block_id": f"oncall:{team.id}"[:255], "elements": elements}


def render_oncall(sections: list[tuple[list[str], Block | None]]) -> list[Block]:
    """One section per team (and its buttons: take the shift, page the on-call)."""
    blocks: list[Block] = []
    for lines, button in sections:
        blocks.append(section("\n".join(lines)))
        if button is not None:
            blocks.append(button)
    if not blocks:
        blocks.append(section("No team has an on-call rotation in the registry."))
    return cap_blocks(blocks)


def render_unknown_team(query: str, suggestions: list[str]) -> str:
    text = f"No team called {code(truncate(query, NAME_LIMIT))}."
    if suggestions:
        text += " Teams: " + ", ".join(code(s) for s in suggestions[:10]) + "."
    return text


def render_taken(person: Person, team: Team, end: datetime, now: datetime) -> str:
    return (
        f"You are on call for {escape(team.name)} from now until "
        f"{when(end, timezone_of(team), now)}. `/oncall {escape(team.id)}` shows it."
    )


def usage_block() -> Block:
    return context(ONCALL_USAGE)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_handoff(team: Team, shift: Shift, late: int, incidents: int, now: datetime) -> str:
    """ "Now on call: Chen Wei, until Mon 09:00 Europe/Berlin; open: 1 late contract, 1
    incident" (names only: the notice is for the channel, not a page)."""
    work = [_count(late, "late contract")] if late else []
    work += [_count(incidents, "incident")] if incidents else []
    until = f", until {when(shift.end, timezone_of(team), now)}" if shift.end else ""
    return (
        f":busts_in_silhouette: {escape(team.name)} — now on call: {person_name(shift.person)}"
        f"{until}; open: {', '.join(work) or 'nothing'}"
    )
