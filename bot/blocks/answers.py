"""Render answers to "who owns X?" as Block Kit, short enough to read at 3 AM.

Every string from a user or the registry is escaped. A question is not a page: answers name
teams and people without mentioning them (no `<@U…>`, no `<!subteam^…>`), whoever asked and
wherever they are shared; the "Page on-call" button (`bot.blocks.paging`) is how a person
asks for help. Alerts and incidents keep their mentions (their own renderers).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.blocks import Block, cap_blocks, context, fit_lines, header, ids, section
from bot.blocks.escape import (
    bold,
    channel_ref,
    code,
    escape,
    link,
    truncate,
)
from bot.blocks.paging import page_buttons
from bot.blocks.requests import render_request_button
from bot.blocks.subscriptions import render_subscribe_button
from ownership.answers import (
    ActivityAnswer,
    Answer,
    AssetAnswer,
    ContractSummary,
    LinkedAsset,
    NotFound,
    TeamRoles,
)
from ownership.model import Person, Role, Team

NAME_LIMIT = 80
DESCRIPTION_LIMIT = 300
MAX_LINKED = 8
MAX_SUGGESTIONS = 5
FALLBACK_LIMIT = 3000
BUTTON_VALUE_LIMIT = 2000
SHARE_BUTTON_TEXT = "Share in channel"
UP, DOWN = "⬆", "⬇"

USAGE_TEXT = (
    "Ask me who owns a data asset, or who does an activity:\n"
    "• `/whoowns customer_age`\n"
    "• `/whoowns feature engineering`\n"
    "• in a channel: `@demarc who owns churn_model?`"
)


def render_usage() -> list[Block]:
    return [section(USAGE_TEXT)]


def render_answer(
    answer: Answer,
    *,
    query: str | None = None,
    shareable: bool = False,
    shared_by: str | None = None,
    pageable: bool = False,
    requestable: bool = False,
) -> list[Block]:
    """Blocks for any answer; `shareable` adds the "Share in channel" button (value: query),
    `pageable` a "Page … on-call" button per R/A team with someone on call. `shared_by` is
    the sharer's name, shown as text."""
    if isinstance(answer, NotFound):
        return [section(render_not_found_text(answer))]
    if isinstance(answer, AssetAnswer):
        blocks = _asset_blocks(answer, query)
    else:
        blocks = _activity_blocks(answer)
    if shared_by:
        blocks.append(context(f"Shared by {escape(truncate(shared_by, NAME_LIMIT))}"))
    if shareable and query:
        blocks.append(_share_button(query))
        if isinstance(answer, AssetAnswer):  # follow it: DMs on breaches, incidents, changes
            blocks[-1]["elements"].append(render_subscribe_button(answer.asset.id))
            if requestable:  # ask its owners for data: a data request (docs/requests.md)
                blocks[-1]["elements"].append(render_request_button(answer.asset.id))
    if pageable:
        blocks.extend(page_buttons(answer.teams, query or ""))
    return cap_blocks(blocks)


def render_answer_text(answer: Answer) -> str:
    """Plain fallback for notifications and screen readers: names only, no mentions."""
    if isinstance(answer, NotFound):
        return render_not_found_text(answer)
    if isinstance(answer, AssetAnswer):
        title = f"{answer.asset.id} ({answer.asset.kind})"
    else:
        title = f"{answer.activity.name} (activity)"
    roles = "; ".join(f"{t.label} {truncate(t.team.name, NAME_LIMIT)}" for t in answer.teams)
    return escape(truncate(f"{title}: {roles or 'no teams on record'}", FALLBACK_LIMIT))


def render_not_found_text(answer: NotFound) -> str:
    text = f"No asset or activity called {code(truncate(answer.query, NAME_LIMIT))}."
    if answer.suggestions:
        shown = ", ".join(
            escape(truncate(s, NAME_LIMIT)) for s in answer.suggestions[:MAX_SUGGESTIONS]
        )
        text += f" Did you mean: {shown}?"
    return text


# ---------------------------------------------------------------------- pieces
def _asset_blocks(answer: AssetAnswer, query: str | None) -> list[Block]:
    asset = answer.asset
    blocks = [header(escape(f"{asset.id} ({asset.kind})"))]
    notes = []
    if query and answer.matched_by != "id":
        notes.append(f"Best match for {code(truncate(query, NAME_LIMIT))}")
    if asset.description:
        notes.append(escape(truncate(asset.description, DESCRIPTION_LIMIT)))
    if notes:
        blocks.append(context(" · ".join(notes)))
    blocks.append(section(fit_lines(_team_lines(answer.teams))))
    if answer.contract is not None:
        blocks.append(section(_contract_line(answer.contract, _known_teams(answer))))
    lineage = _linked_lines(UP, answer.upstream) + _linked_lines(DOWN, answer.downstream)
    if lineage:
        blocks.append(section(fit_lines(lineage)))
    if answer.runbook:
        blocks.append(section("📖 " + link(answer.runbook, "Runbook")))
    if answer.warnings:
        blocks.append(context(fit_lines([f"⚠ {escape(w)}" for w in answer.warnings])))
    return blocks


def _activity_blocks(answer: ActivityAnswer) -> list[Block]:
    return [
        header(escape(f"{answer.activity.name} (activity)")),
        section(fit_lines(_team_lines(answer.teams))),
    ]


def _team_lines(teams: Iterable[TeamRoles]) -> list[str]:
    lines = []
    for entry in teams:
        # Names only: an answer (asked, or shared in a channel) never pings a team or a person.
        line = f"*{entry.label}*  {name_team(entry.team)}"
        if entry.oncall is not None:
            line += f" — on call: {name_person(entry.oncall)}"
        owns = Role.RESPONSIBLE in entry.roles or Role.ACCOUNTABLE in entry.roles
        if owns and entry.team.oncall_channel:
            line += f" · {channel_ref(entry.team.oncall_channel)}"
        lines.append(line)
    return lines or ["_No team has a role here yet._"]


def name_team(team: Team) -> str:
    """The team's name and its user group's handle, as text (never a mention)."""
    name = bold(truncate(team.name, NAME_LIMIT))
    handle = team.usergroup.handle if team.usergroup else None
    return f"{name} ({escape('@' + truncate(handle, NAME_LIMIT))})" if handle else name


def name_person(person: Person) -> str:
    """The person's name (or email) as plain text, never a mention."""
    return escape(truncate(person.name or person.email or person.slack_id or "someone", NAME_LIMIT))


def _known_teams(answer: AssetAnswer) -> dict[str, Team]:
    teams = {t.team.id: t.team for t in answer.teams}
    for linked in (*answer.upstream, *answer.downstream):
        teams.update((t.team.id, t.team) for t in linked.owners)
    return teams


def _contract_line(summary: ContractSummary, teams: dict[str, Team]) -> str:
    owner_id = summary.contract.owner_team
    owner = summary.owner_name or (teams[owner_id].name if owner_id in teams else owner_id)
    parts = [
        f"Contract: {escape(summary.sla_words or 'no delivery SLA')}",
        f"owner {escape(truncate(owner, NAME_LIMIT))}",
    ]
    if summary.status:
        parts.append(f"now {escape(summary.status)}")
    if summary.quality:
        parts.append(f"quality {escape(truncate(summary.quality, 300))}")
    return " · ".join(parts)


def _linked_lines(arrow: str, linked: tuple[LinkedAsset, ...]) -> list[str]:
    """One line per linked asset; upstream lines add the contract the data arrives under."""
    lines = []
    for item in linked[:MAX_LINKED]:
        hops = f", {item.distance} hops" if item.distance > 1 else ""
        owners = ", ".join(
            f"{t.label} {escape(truncate(t.team.name, NAME_LIMIT))}" for t in item.owners
        )
        name = escape(truncate(item.asset.id, NAME_LIMIT))
        line = (
            f"{arrow} {name} ({escape(item.asset.kind)}{hops}) — {owners or 'no owner on record'}"
        )
        if arrow == UP and item.contract is not None and item.contract.sla_words:
            line += f" · contract: {escape(item.contract.sla_words)}"
            if item.contract.status:
                line += f", now {escape(item.contract.status)}"
        lines.append(line)
    if len(linked) > MAX_LINKED:
        lines.append(f"{arrow} … and {len(linked) - MAX_LINKED} more")
    return lines


def _share_button(query: str) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": SHARE_BUTTON_TEXT},
                "action_id": ids.SHARE_ANSWER_ACTION,
                "value": query[:BUTTON_VALUE_LIMIT],
            }
        ],
    }
