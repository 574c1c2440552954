"""The App Home tab: the person's own world, as a `home` view built from a `HomeView`.

Pure: `bot.home.world` gathers the values, `bot.slack.listeners.home` publishes the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.blocks import Block, cap_blocks, context, fit_lines, header, ids, section
from bot.blocks.alerts import when
from bot.blocks.answers import render_answer
from bot.blocks.escape import channel_ref, code, escape, truncate
from ownership.answers import Answer

NAME_LIMIT = 80
MAX_ROWS = 25
MAX_BUTTON_ROWS = 10  # late contracts and incidents get a section each, with a button


@dataclass(frozen=True)
class Holding:
    asset: str
    kind: str
    team: str  # the team's name
    roles: str  # "R/A", "C", …
    contract: str | None = None


@dataclass(frozen=True)
class ShiftLine:
    team: str
    start: datetime
    end: datetime
    current: bool = False


@dataclass(frozen=True)
class LateItem:
    alert_id: int
    contract: str
    channel: str
    late_by: str  # "17 min late", or "check failing"
    incident_id: int | None = None


@dataclass(frozen=True)
class IncidentItem:
    id: int
    asset: str
    severity: str
    status: str
    summary: str
    channel: str


@dataclass(frozen=True)
class HomeView:
    user_id: str
    now: datetime
    teams: tuple[str, ...] = ()
    holdings: tuple[Holding, ...] = ()
    shifts: tuple[ShiftLine, ...] = ()
    late: tuple[LateItem, ...] = ()
    incidents: tuple[IncidentItem, ...] = ()
    subscriptions: tuple[str, ...] = ()
    notice: str | None = None  # what the person's last action did (escaped mrkdwn)
    query: str | None = None
    answer: Answer | None = None


def render_home(view: HomeView) -> dict[str, object]:
    """The `views.publish` view for `view.user_id`."""
    blocks: list[Block] = []
    if view.notice:
        blocks.append(section(view.notice))
    blocks += _search(view)
    blocks += _incidents(view) + _late(view) + _holdings(view) + _shifts(view)
    blocks += _subscriptions(view)
    blocks.append(context(f"Updated {when(view.now, view.now)}. Reopen this tab to refresh."))
    return {"type": "home", "blocks": cap_blocks(blocks, 100)}


def _search(view: HomeView) -> list[Block]:
    blocks: list[Block] = [
        header("Who owns…?"),
        {
            "type": "input",
            "block_id": "home_search",
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "An asset or an activity"},
            "element": {
                "type": "plain_text_input",
                "action_id": ids.HOME_SEARCH_ACTION,
                "placeholder": {"type": "plain_text", "text": "customer_age, feature engineering"},
                "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
            },
        },
    ]
    if view.answer is not None:
        answer = render_answer(view.answer, query=view.query, shareable=False)
        blocks += [b for b in answer if b.get("type") != "actions"][:20]
        asset = getattr(getattr(view.answer, "asset", None), "id", None)
        if asset is not None:
            blocks.append(_buttons(_subscribe_button(asset, asset in view.subscriptions)))
    return blocks


def _incidents(view: HomeView) -> list[Block]:
    if not view.incidents:
        return []
    blocks: list[Block] = [header("Open incidents of your teams")]
    for item in view.incidents[:MAX_BUTTON_ROWS]:
        text = (
            f"*#{item.id}* {escape(item.severity)} on {code(truncate(item.asset, NAME_LIMIT))}"
            f" · {escape(item.status)}\n{escape(truncate(item.summary, 200))}"
        )
        if item.channel:
            text += f" · {channel_ref(item.channel)}"
        block = section(text)
        if item.status == "open":
            block["accessory"] = _button("Acknowledge", ids.HOME_ACKNOWLEDGE_ACTION, str(item.id))
        blocks.append(block)
    return blocks + _more(view.incidents, MAX_BUTTON_ROWS)


def _late(view: HomeView) -> list[Block]:
    if not view.late:
        return []
    blocks: list[Block] = [header("Late contracts of your teams")]
    for item in view.late[:MAX_BUTTON_ROWS]:
        text = f":red_circle: {code(truncate(item.contract, NAME_LIMIT))} {escape(item.late_by)}"
        if item.channel:
            text += f" · {channel_ref(item.channel)}"
        block = section(text)
        if item.incident_id is None:
            block["accessory"] = _button(
                "Open incident", ids.HOME_OPEN_INCIDENT_ACTION, str(item.alert_id)
            )
        else:
            block["text"]["text"] += f" · incident #{item.incident_id}"
        blocks.append(block)
    return blocks + _more(view.late, MAX_BUTTON_ROWS)


def _holdings(view: HomeView) -> list[Block]:
    title = "What your teams hold"
    if not view.teams:
        return [
            header(title),
            section("_You are in no team of the registry (by Slack id) yet._"),
        ]
    lines = []
    for h in view.holdings[:MAX_ROWS]:
        contract = f" · contract {code(truncate(h.contract, NAME_LIMIT))}" if h.contract else ""
        lines.append(
            f"*{escape(h.roles)}* {code(truncate(h.asset, NAME_LIMIT))} ({escape(h.kind)}) — "
            f"{escape(truncate(h.team, NAME_LIMIT))}{contract}"
        )
    if len(view.holdings) > MAX_ROWS:
        lines.append(f"… and {len(view.holdings) - MAX_ROWS} more")
    teams = ", ".join(escape(truncate(t, NAME_LIMIT)) for t in view.teams)
    return [
        header(title),
        context(f"Your teams: {teams}"),
        section(fit_lines(lines or ["_No asset gives your teams a role._"])),
    ]


def _shifts(view: HomeView) -> list[Block]:
    if not view.shifts:
        return [header("Your on-call shifts"), section("_No shift in your teams' rotations._")]
    lines = []
    for s in view.shifts:
        now = "*now* " if s.current else ""
        lines.append(
            f"{now}{escape(truncate(s.team, NAME_LIMIT))}: {s.start:%a %d %b %H:%M} → "
            f"{s.end:%a %d %b %H:%M} {escape(s.start.tzname() or '')}"
        )
    return [header("Your on-call shifts"), section(fit_lines(lines))]


def _subscriptions(view: HomeView) -> list[Block]:
    blocks: list[Block] = [header("You follow")]
    if not view.subscriptions:
        return [
            *blocks,
            section(
                "_Nothing yet. Press *Subscribe* under a `/whoowns` answer, or "
                "`/demarc subscribe ASSET`._"
            ),
        ]
    for asset in view.subscriptions[:MAX_ROWS]:
        block = section(code(truncate(asset, NAME_LIMIT)))
        block["accessory"] = _subscribe_button(asset, True)
        blocks.append(block)
    return blocks + _more(view.subscriptions, MAX_ROWS)


def _subscribe_button(asset: str, following: bool) -> Block:
    if following:
        return _button("Unsubscribe", ids.UNSUBSCRIBE_ACTION, asset)
    return _button("Subscribe", ids.SUBSCRIBE_ACTION, asset)


def _button(text: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value[:2000],
    }


def _buttons(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def _more(items: tuple[object, ...], shown: int) -> list[Block]:
    return [context(f"… and {len(items) - shown} more")] if len(items) > shown else []
