"""The incident modals (resolve, add note) and the `/incident timeline` answer, as Block Kit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks import Block, context, fit_lines, ids, section
from bot.blocks.escape import code, escape, truncate
from bot.blocks.incidents import IncidentView, actor, quote
from ownership.incidents import BoundarySide
from ownership.reports.reasons import LABELS
from ownership.timeparse import format_instant

NOTE_BLOCK, NOTE_INPUT = "note", "note_text"
SIDE_BLOCK, SIDE_INPUT = "side", "side_choice"
REASON_BLOCK, REASON_INPUT = "reason", "reason_choice"
NOTE_MAX = 3000
TITLE_LIMIT = 24  # Slack's limit for a modal title


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str | None
    detail: str


def metadata(incident_id: int, channel: str | None) -> str:
    """The modal's private_metadata: which incident, and where to answer the submitter."""
    return json.dumps({"incident": incident_id, "channel": channel})


def read_metadata(raw: str) -> tuple[int | None, str | None]:
    try:
        data = json.loads(raw or "{}")
        incident = data.get("incident")
        channel = data.get("channel")
    except (ValueError, AttributeError):
        return None, None
    valid = isinstance(incident, int) and not isinstance(incident, bool) and incident > 0
    return (incident if valid else None), (channel if isinstance(channel, str) else None)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _note_input(label: str, placeholder: str) -> Block:
    return {
        "type": "input",
        "block_id": NOTE_BLOCK,
        "label": _plain(label),
        "element": {
            "type": "plain_text_input",
            "action_id": NOTE_INPUT,
            "multiline": True,
            "max_length": NOTE_MAX,
            "placeholder": _plain(placeholder),
        },
    }


def _modal(callback_id: str, title: str, submit: str, meta: str, blocks: list[Block]) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": meta,
        "title": _plain(truncate(title, TITLE_LIMIT)),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def render_resolve_modal(view: IncidentView, channel: str | None) -> Block:
    options = [
        {
            "text": _plain(side.label),
            "description": _plain(side.explanation[:75]),
            "value": side.value,
        }
        for side in BoundarySide
    ]
    blocks: list[Block] = [
        section(f"{code(view.asset)}: {escape(truncate(view.summary, 300))}"),
        {
            "type": "input",
            "block_id": SIDE_BLOCK,
            "label": _plain("Which side of the boundary was the cause on?"),
            "element": {"type": "radio_buttons", "action_id": SIDE_INPUT, "options": options},
        },
        _reason_input(),
        _note_input("Resolution note", "What broke, what fixed it, what is left to do"),
    ]
    return _modal(
        ids.RESOLVE_INCIDENT_VIEW,
        f"Resolve incident #{view.id}",
        "Resolve",
        metadata(view.id, channel),
        blocks,
    )


def _reason_input() -> Block:
    """Optional: the SLA report counts false alarms and "SLA too tight" per contract."""
    options = [{"text": _plain(label), "value": reason.value} for reason, label in LABELS.items()]
    return {
        "type": "input",
        "block_id": REASON_BLOCK,
        "optional": True,
        "label": _plain("Why was it resolved?"),
        "element": {"type": "static_select", "action_id": REASON_INPUT, "options": options},
    }


def read_reason(values: dict[str, Any]) -> str | None:
    """The chosen resolution reason's value from `view.state.values`, if any."""
    chosen = ((values.get(REASON_BLOCK) or {}).get(REASON_INPUT) or {}).get("selected_option")
    return str(chosen.get("value")) if isinstance(chosen, dict) and chosen.get("value") else None


def render_note_modal(view: IncidentView, channel: str | None) -> Block:
    blocks: list[Block] = [
        section(f"{code(view.asset)}: {escape(truncate(view.summary, 300))}"),
        _note_input("Note", "What you know, what you tried, what happens next"),
    ]
    return _modal(
        ids.NOTE_INCIDENT_VIEW,
        f"Note on incident #{view.id}",
        "Add note",
        metadata(view.id, channel),
        blocks,
    )


def read_submission(values: dict[str, Any]) -> tuple[str, str | None]:
    """(note, side value) from a submitted modal's `view.state.values`."""
    note = ((values.get(NOTE_BLOCK) or {}).get(NOTE_INPUT) or {}).get("value") or ""
    side = ((values.get(SIDE_BLOCK) or {}).get(SIDE_INPUT) or {}).get("selected_option") or {}
    return str(note).strip(), side.get("value") if isinstance(side, dict) else None


# ---------------------------------------------------------------------- the timeline
EVENT_WORDS = {
    "opened": "opened",
    "tagged": "tagged",
    "informed": "informed",
    "acknowledged": "acknowledged",
    "escalated": "escalated",
    "note": "note",
    "alert_linked": "linked alert",
    "data_recovered": "data recovered",
    "reminder": "reminder",
    "resolved": "resolved",
    "message": "message",
}


def _stamp(at: datetime, now: datetime) -> str:
    return format_instant(at, now)


def render_timeline(view: IncidentView, entries: list[TimelineEntry]) -> list[Block]:
    head = (
        f"*{escape(view.title)}* · {code(view.asset)} · {view.status.word}\n"
        f"{quote(view.summary, 300)}"
    )
    lines = [
        f"`{_stamp(e.at, view.now)}` *{EVENT_WORDS.get(e.kind, escape(e.kind))}* "
        f"{actor(e.actor) if e.actor else ''} {escape(truncate(e.detail, 300))}".replace("  ", " ")
        for e in entries
    ]
    return [
        section(head),
        section(fit_lines(lines or ["nothing recorded yet"])),
        context(f"Postmortem draft: `demarc incident export {view.id}`"),
    ]


def render_timeline_text(view: IncidentView, entries: list[TimelineEntry]) -> str:
    return f"{view.title} on {view.asset}: {len(entries)} events"
