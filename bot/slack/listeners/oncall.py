"""`/oncall [team]`, `/oncall take <team> [until]`, "Take this shift" and "Page … on-call".

All acknowledged at once; the database (and any schedule kept elsewhere) is read after the ack
and the answer goes to the response URL, ephemerally. Nothing here mentions anyone except the
page itself, which the asker confirmed in Slack's dialog first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Respond

from bot.blocks import Block
from bot.blocks.escape import escape
from bot.blocks.oncall import (
    ONCALL_USAGE,
    oncall_actions,
    render_oncall,
    render_oncall_lines,
    render_taken,
    render_unknown_team,
    usage_block,
)
from bot.blocks.paging import read_page_value
from bot.db.dedupe import SqlEventDeduper
from bot.oncall.lookup import External, on_call_view
from bot.oncall.overrides import effective_registry, record_shift
from bot.oncall.paging import page_oncall
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.lazy import Listener, after_ack
from ownership.errors import InvalidValue
from ownership.model import Registry, Team
from ownership.shifts import find_member, find_team, parse_until, shift_at, teams_of

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock

NO_DATABASE = "This needs demarc's database, which this process has not got."
MAX_TEAMS = 10


def _say(respond: Respond, text: str, blocks: list[Block] | None = None) -> None:
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


def answer_registry(services: Services | None, registry: Registry, now: datetime) -> Registry:
    """The registry as answers see it: shifts taken in Slack, and who the schedules kept
    elsewhere last said (cached: nothing is fetched while Slack waits for an ack)."""
    engine = services.engine if services is not None else None
    reader = services.oncall_sources if services is not None else None
    return effective_registry(engine, registry, now, reader.cached_current if reader else None)


def _external(services: Services | None) -> External | None:
    reader = services.oncall_sources if services is not None else None
    return reader.view if reader is not None else None


def make_oncall_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None
) -> Listener:
    def handle_oncall_command(command: dict[str, Any], respond: Respond) -> None:
        words = str(command.get("text", "")).split(maxsplit=1)
        user = str(command.get("user_id", ""))
        now = clock()
        registry = effective_registry(services.engine if services else None, holder.registry, now)
        if words and words[0].lower() in {"help", "usage"}:
            _say(respond, ONCALL_USAGE, [usage_block()])
        elif words and words[0].lower() == "take":
            rest = words[1] if len(words) > 1 else ""
            _say(respond, _take(registry, services, user, rest, now))
        elif words:
            team = find_team(registry, " ".join(words))
            if team is None:
                _say(respond, render_unknown_team(" ".join(words), sorted(registry.teams)))
            else:
                _show(respond, [team], now, _external(services))
        else:
            _show(respond, _default_teams(registry, user), now, _external(services))

    return after_ack(handle_oncall_command)


def _default_teams(registry: Registry, user: str) -> list[Team]:
    mine = [t for t in teams_of(registry, user) if t.rotation or t.schedule]
    return (mine or [t for t in registry.teams.values() if t.rotation or t.schedule])[:MAX_TEAMS]


def _show(respond: Respond, teams: list[Team], now: datetime, external: External | None) -> None:
    sections: list[tuple[list[str], Block | None]] = []
    texts = []
    for team in teams:
        view = on_call_view(team, now, external)
        unknown = view.note if view.unknown_since else None
        lines = render_oncall_lines(team, view.current, view.upcoming, now, unknown=unknown)
        if view.source != "registry":
            lines.insert(1, f"_From {view.source}_")
        if view.note and not view.unknown_since:
            lines.append(f"⚠ {escape(view.note)}")
        current = None if view.unknown_since else view.current
        sections.append((lines, oncall_actions(team, current, now)))
        texts.append(" · ".join(lines))
    _say(respond, "\n".join(texts) or "No team has an on-call rotation.", render_oncall(sections))


def _take(
    registry: Registry, services: Services | None, user: str, rest: str, now: datetime
) -> str:
    if services is None:
        return NO_DATABASE
    team, team_ref, until = _split_team(registry, rest)
    if team is None:
        if not team_ref:
            return "Which team? `/oncall take data_engineering [until 18:00]`"
        return render_unknown_team(team_ref, sorted(registry.teams))
    person = find_member(team, user)
    if person is None:
        return f"Only members of {escape(team.name)} (in the registry) can take its on-call shift."
    if team.rotation is None:
        return f"{escape(team.name)} has no on-call rotation in the registry to take a shift of."
    current = shift_at(team, now)
    try:
        default = current.end if current and current.end else now
        end = parse_until(until, now, team.rotation.timezone, default)
        record_shift(services.engine, team, person, now, end, user)
    except InvalidValue as error:
        return (
            f"I can't read that: {escape(str(error))}. `/oncall take {escape(team.id)} until 18:00`"
        )
    return render_taken(person, team, end, now)


def _split_team(registry: Registry, rest: str) -> tuple[Team | None, str, str]:
    """ "Data Engineering until 18:00" → (the team, "Data Engineering", "until 18:00"): the
    longest leading words that name a team (ids, names with spaces, handles)."""
    words = rest.split()
    for n in range(len(words), 0, -1):
        team = find_team(registry, " ".join(words[:n]))
        if team is not None:
            return team, " ".join(words[:n]), " ".join(words[n:])
    return None, words[0] if words else "", " ".join(words[1:])


def make_take_handler(holder: RegistryHolder, clock: Clock, services: Services | None) -> Listener:
    def handle_take_shift_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        if services is None:
            _say(respond, NO_DATABASE)
            return
        user = str(body["user"]["id"])
        if _replayed(services, action, user):
            return
        now = clock()
        registry = effective_registry(services.engine, holder.registry, now)
        _say(respond, _take(registry, services, user, str(action.get("value", ""))[:200], now))

    return after_ack(handle_take_shift_action)


def make_page_handler(holder: RegistryHolder, clock: Clock, services: Services | None) -> Listener:
    def handle_page_oncall_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        if services is None:
            _say(respond, NO_DATABASE)
            return
        user = str(body["user"]["id"])
        if _replayed(services, action, user):
            return
        team_id, query = read_page_value(str(action.get("value", ""))[:500])
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        now = clock()
        text = page_oncall(
            services.engine,
            answer_registry(services, holder.registry, now),
            team_id=team_id,
            asker=user,
            query=query,
            from_channel=str(channel) if channel else None,
            now=now,
        )
        _say(respond, text)

    return after_ack(handle_page_oncall_action)


def _replayed(services: Services, action: dict[str, Any], user: str) -> bool:
    """A replay of this very click (same `action_ts`): dropped, so nobody is paged twice."""
    unique = action.get("action_ts")
    if not unique:
        return False
    key = f"oncall:{unique}:{user}"[:64]
    return SqlEventDeduper(services.engine, services.clock).seen_before(key)
