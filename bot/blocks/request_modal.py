"""The data-request modal: fields with the registry's choices, and reading them back."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import Block, context, ids
from bot.blocks.escape import truncate
from ownership.model import Registry
from ownership.requests.model import FREQUENCIES

MAX_OPTIONS = 100  # Slack's limit for a static_select
TEXT_FIELDS = ("what", "timezone", "max_delay", "columns", "purpose")
OPTION_TEXT = 75


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(truncate(label, OPTION_TEXT)), "value": value}


def _input(
    field: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": field,
        "label": _plain(label),
        "element": {**element, "action_id": field},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _text(initial: str = "", *, multiline: bool = False, max_length: int = 300) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial
    return element


def _select(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "options": options[:MAX_OPTIONS]}
    chosen = next((o for o in options[:MAX_OPTIONS] if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def source_options(registry: Registry) -> list[dict[str, Any]]:
    """Assets with a contract first (the likely sources), then the others; at most 100."""
    with_contract = {c.asset for c in registry.contracts.values()}
    ordered = sorted(registry.assets.values(), key=lambda a: (a.id not in with_contract, a.id))
    return [_option(a.id, f"{a.id} ({a.kind})") for a in ordered][:MAX_OPTIONS]


def render_request_modal(
    registry: Registry, *, consumer_team: str | None, source: str | None, channel: str | None
) -> Block:
    teams = [_option(t.id, t.name) for t in sorted(registry.teams.values(), key=lambda t: t.name)]
    blocks: list[Block] = [
        context("Data Eng answers in its channel, per the RACI row for data contracts."),
        _input("what", "What data do you need?", _text()),
        _input("source", "From which source?", _select(source_options(registry), source)),
        _input(
            "frequency",
            "How often must it be fresh?",
            _select([_option(f, f) for f in FREQUENCIES], "daily"),
        ),
        _input("at", "Fresh by (time of day)", {"type": "timepicker", "initial_time": "02:00"}),
        _input("timezone", "Timezone", _text("UTC", max_length=64)),
        _input("max_delay", "Late after (max delay)", _text("30 minutes", max_length=60)),
        _input(
            "columns",
            "Columns and their requirements",
            _text(multiline=True, max_length=2000),
            optional=True,
            hint='One a line: "customer_id: string required", "tenure_months: integer optional".',
        ),
        _input("purpose", "What is it for?", _text(multiline=True, max_length=1000)),
        _input("consumer_team", "Consumer team", _select(teams, consumer_team)),
        _input("by_when", "Needed by", {"type": "datepicker"}, optional=True),
    ]
    return {
        "type": "modal",
        "callback_id": ids.REQUEST_VIEW,
        "private_metadata": json.dumps({"channel": channel}),
        "title": _plain("Request data"),
        "submit": _plain("Send request"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def read_request_values(values: dict[str, Any]) -> dict[str, str]:
    """{field: text} from a submitted modal's `view.state.values`, whatever element it was."""
    fields: dict[str, str] = {}
    for field, actions in values.items():
        element = (actions or {}).get(field) if isinstance(actions, dict) else None
        if not isinstance(element, dict):
            continue
        option = element.get("selected_option")
        raw = (
            ((option or {}).get("value") if isinstance(option, dict) else None)
            or element.get("value")
            or element.get("selected_date")
            or element.get("selected_time")
        )
        if isinstance(raw, str):
            fields[str(field)] = raw
    return fields


def read_channel(raw: str) -> str | None:
    try:
        channel = json.loads(raw or "{}").get("channel")
    except (ValueError, AttributeError):
        return None
    return channel if isinstance(channel, str) else None
