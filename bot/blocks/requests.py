"""A data request's messages: the root in the Accountable team's channel and its thread."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks import Block, context, fit_lines, ids, section
from bot.blocks.escape import channel_ref, code, escape, truncate, user_mention, usergroup_mention
from ownership.model import Team
from ownership.requests.judgement import Judgement
from ownership.requests.model import DataRequestForm, RequestState

TEXT_LIMIT = 300
STATE_WORDS = {
    RequestState.OPEN: ":inbox_tray: open",
    RequestState.COUNTERED: ":left_right_arrow: counter-proposed",
    RequestState.ACCEPTED: ":white_check_mark: accepted",
    RequestState.DECLINED: ":no_entry_sign: declined",
    RequestState.MERGED: ":package: merged",
}


@dataclass(frozen=True, slots=True)
class RequestView:
    id: int
    form: DataRequestForm
    state: RequestState
    requested_by: str
    consumer_name: str
    existing: str  # what already exists, plain text
    reason: str | None = None  # why it was declined
    pull_request: str | None = None  # the PR's URL, or where the patch is


def team_ref(team: Team) -> str:
    """A team as it is tagged: its user group when it has one, else its name."""
    group = team.usergroup.id if team.usergroup else None
    mention = usergroup_mention(group)
    return f"{mention} ({escape(team.name)})" if mention else f"*{escape(team.name)}*"


def render_request_text(view: RequestView) -> str:
    return escape(
        f"Data request #{view.id}: {truncate(view.form.what, 120)} from {view.form.source}"
    )


def terms_lines(form: DataRequestForm) -> list[str]:
    f = form.freshness
    lines = [
        f"*Source:* {code(form.source)} · *for* {escape(form.consumer_team)}",
        f"*Freshness:* {escape(f.frequency)} by {escape(f.at)} {escape(f.timezone)}, "
        f"late after {escape(f.max_delay)}",
    ]
    if form.columns:
        cols = ", ".join(
            f"{code(c.name)} {escape(c.type)}{'' if c.required else ' (optional)'}"
            for c in form.columns
        )
        lines.append(f"*Columns:* {cols}")
    lines.append(f"*Purpose:* {escape(truncate(form.purpose, TEXT_LIMIT))}")
    if form.by_when:
        lines.append(f"*Needed by:* {form.by_when.isoformat()}")
    return lines


def render_request_root(view: RequestView) -> list[Block]:
    who = user_mention(view.requested_by) or "someone"
    head = (
        f"*Data request #{view.id}* · {STATE_WORDS[view.state]}\n"
        f"{who} ({escape(view.consumer_name)}) asks: {escape(truncate(view.form.what, TEXT_LIMIT))}"
    )
    blocks = [
        section(head),
        section(fit_lines(terms_lines(view.form))),
        context(f":mag: Already there: {escape(truncate(view.existing, TEXT_LIMIT))}"),
    ]
    if view.state.is_open:
        blocks.append(_answer_buttons(view.id))
    elif view.state is RequestState.DECLINED and view.reason:
        blocks.append(section(f"*Declined:* {escape(truncate(view.reason, TEXT_LIMIT))}"))
    if view.pull_request:
        blocks.append(context(f":twisted_rightwards_arrows: {escape(view.pull_request)}"))
    return blocks


def _answer_buttons(request_id: int) -> Block:
    def button(action_id: str, text: str, style: str | None = None) -> Block:
        b: Block = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": text},
            "value": str(request_id),
        }
        if style:
            b["style"] = style
        return b

    return {
        "type": "actions",
        "block_id": f"request:{request_id}",
        "elements": [
            button(ids.ACCEPT_REQUEST_ACTION, "Accept", "primary"),
            button(ids.COUNTER_REQUEST_ACTION, "Counter-propose"),
            button(ids.DECLINE_REQUEST_ACTION, "Decline", "danger"),
        ],
    }


def render_roles_reply(
    accountable: tuple[Team, ...], responsible: tuple[Team, ...], consulted: tuple[Team, ...]
) -> str:
    """The thread's first reply: who decides, who drives, who is asked, per the RACI row."""

    def refs(teams: tuple[Team, ...]) -> str:
        return ", ".join(team_ref(t) for t in teams) or "nobody in the registry"

    return "\n".join(
        [
            f"*Accountable* (accepts, counter-proposes or declines): {refs(accountable)}",
            f"*Responsible* (specifies the requirements): {refs(responsible)}",
            f"*Consulted*: {refs(consulted)}",
            "Negotiate in this thread; every step lands on the request's timeline.",
        ]
    )


def render_submitted(request_id: int, channel: str) -> str:
    return (
        f"Data request #{request_id} is posted in {channel_ref(channel)}; follow its thread there."
    )


def render_request_button(asset_id: str) -> Block:
    return {
        "type": "button",
        "action_id": ids.REQUEST_DATA_ACTION,
        "text": {"type": "plain_text", "text": "Request data"},
        "value": asset_id[:2000],
    }


def render_judgement(judgement: Judgement, contract_id: str, others: tuple[str, ...]) -> str:
    """A change request under the change policy, as `demarc diff` judges it."""
    if judgement.problems:
        return (f":warning: The changed {code(contract_id)} would not validate: "
                f"{escape(truncate('; '.join(judgement.problems[:3]), 500))}")
    if not judgement.changes:
        return f":scales: This asks for what {code(contract_id)} promises already."
    lines = [f":scales: *A change to {code(contract_id)}*, judged as `demarc diff` does:"]
    for change in judgement.changes[:10]:
        word = "breaking" if change.breaking else "non-breaking"
        lines.append(f"• {escape(change.subject)}: {escape(truncate(change.reason, 200))} "
                     f"({word})")
    for verdict in judgement.blocked:
        who = ", ".join(escape(t) for t in others) or "its consumers"
        lines.append(f":no_entry: {escape(verdict.change.subject)} needs the consent of {who}, "
                     f"or its notice period: {escape(truncate(verdict.why, 300))}")
    if not judgement.blocked:
        lines.append("Nothing breaking is blocked: the change may land once accepted.")
    return "\n".join(lines)


def render_open_requests(open_requests: list[tuple[int, str, str]]) -> Block:
    """Under an asset's answer: its data requests still waiting, (id, state, consumer name)."""
    shown = ", ".join(f"#{i} ({escape(state)}, for {escape(truncate(who, 60))})"
                      for i, state, who in open_requests[:5])
    more = f" and {len(open_requests) - 5} more" if len(open_requests) > 5 else ""
    return context(f":inbox_tray: Open data requests: {shown}{more}. "
                   "Their threads are in the Accountable team's channel.")
