"""The "Add to incident timeline" modal: pick one of the open incidents for a message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.blocks import Block, context, ids, section
from bot.blocks.escape import escape, truncate

PICK_BLOCK, PICK_INPUT = "incident", "incident_choice"
MAX_METADATA = 3000  # Slack's limit on private_metadata
OPTION_TEXT_LIMIT = 75  # Slack's limit on an option's text


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def quote_metadata(channel: str, ts: str, author: str, text: str, permalink: str | None) -> str:
    """What the submission needs to record the message, within Slack's 3,000 characters."""
    limit = 1000
    while True:
        raw = json.dumps(
            {"c": channel, "t": ts, "a": author, "x": text[:limit], "p": permalink},
            ensure_ascii=False,
        )
        if len(raw) <= MAX_METADATA or limit == 0:
            return raw
        limit //= 2


def read_quote_metadata(raw: str) -> dict[str, str] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "cta"):
        return None
    return {k: str(v) for k, v in data.items() if isinstance(v, str)}


def render_pick_incident_modal(
    choices: Sequence[tuple[int, str, str]], metadata: str, preview: str
) -> dict[str, Any]:
    """`choices`: (incident id, asset, summary) of the open incidents, newest first."""
    options = [
        {
            "text": _plain(truncate(f"#{number} {asset}: {summary}", OPTION_TEXT_LIMIT)),
            "value": str(number),
        }
        for number, asset, summary in choices[:100]
    ]
    blocks: list[Block] = [
        section(f">{escape(truncate(' '.join(preview.split()), 300))}"),
        {
            "type": "input",
            "block_id": PICK_BLOCK,
            "label": _plain("Incident"),
            "element": {
                "type": "static_select",
                "action_id": PICK_INPUT,
                "placeholder": _plain("Pick an open incident"),
                "options": options,
                "initial_option": options[0],
            },
        },
        context("The message, its author and a link to it go on the incident's timeline."),
    ]
    return {
        "type": "modal",
        "callback_id": ids.TIMELINE_VIEW,
        "title": _plain("Add to timeline"),
        "submit": _plain("Add"),
        "close": _plain("Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def read_pick(values: dict[str, Any]) -> int | None:
    chosen = ((values.get(PICK_BLOCK) or {}).get(PICK_INPUT) or {}).get("selected_option") or {}
    value = str(chosen.get("value", ""))
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
