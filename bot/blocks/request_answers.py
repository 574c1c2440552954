"""The counter-proposal and decline modals of a data request, and reading them back."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import Block, ids, section
from bot.blocks.escape import code, escape, truncate
from bot.blocks.request_modal import _input, _option, _plain, _select, _text
from ownership.requests.model import FREQUENCIES, DataRequestForm

REASON_MAX = 1000


def request_metadata(request_id: int, channel: str | None) -> str:
    return json.dumps({"request": request_id, "channel": channel})


def read_request_metadata(raw: str) -> tuple[int | None, str | None]:
    try:
        data = json.loads(raw or "{}")
        request, channel = data.get("request"), data.get("channel")
    except (ValueError, AttributeError):
        return None, None
    valid = isinstance(request, int) and not isinstance(request, bool) and request > 0
    return (request if valid else None), (channel if isinstance(channel, str) else None)


def _columns_text(form: DataRequestForm) -> str:
    return "\n".join(
        f"{c.name}: {c.type} {'required' if c.required else 'optional'}" for c in form.columns
    )


def render_counter_modal(
    request_id: int, form: DataRequestForm, channel: str | None, *, answering: bool
) -> Block:
    """The terms as they stand, to edit: the SLA and the schema, and a note why."""
    f = form.freshness
    blocks: list[Block] = [
        section(
            f"*Data request #{request_id}*: {escape(truncate(form.what, 200))} "
            f"from {code(form.source)}"
        ),
        _input(
            "frequency", "Frequency", _select([_option(x, x) for x in FREQUENCIES], f.frequency)
        ),
        _input("at", "Fresh by (time of day)", {"type": "timepicker", "initial_time": f.at}),
        _input("timezone", "Timezone", _text(f.timezone, max_length=64)),
        _input("max_delay", "Late after (max delay)", _text(f.max_delay, max_length=60)),
        _input(
            "columns",
            "Columns",
            _text(_columns_text(form), multiline=True, max_length=2000),
            optional=True,
        ),
        _input(
            "note",
            "Why (shown in the thread)",
            _text(multiline=True, max_length=REASON_MAX),
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.COUNTER_REQUEST_VIEW,
        "private_metadata": request_metadata(request_id, channel),
        "title": _plain("Answer with terms" if answering else "Counter-propose"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "blocks": blocks,
    }


def render_decline_modal(request_id: int, form: DataRequestForm, channel: str | None) -> Block:
    return {
        "type": "modal",
        "callback_id": ids.DECLINE_REQUEST_VIEW,
        "private_metadata": request_metadata(request_id, channel),
        "title": _plain("Decline request"),
        "submit": _plain("Decline"),
        "close": _plain("Cancel"),
        "blocks": [
            section(f"*Data request #{request_id}*: {escape(truncate(form.what, 200))}"),
            _input(
                "reason",
                "Why? The requester reads this.",
                _text(multiline=True, max_length=REASON_MAX),
            ),
        ],
    }


def read_field(values: dict[str, Any], field: str) -> str:
    element = (values.get(field) or {}).get(field) or {}
    return str(element.get("value") or "").strip()


def render_terms_change(
    who: str, before: DataRequestForm, after: DataRequestForm, note: str
) -> str:
    """A counter-proposal (or its answer) in the thread: what changed, and why."""
    changes: list[str] = []
    if before.freshness != after.freshness:
        was, now = (
            f"{f.frequency} by {f.at} {f.timezone}, late after {f.max_delay}"
            for f in (before.freshness, after.freshness)
        )
        changes.append(f"freshness {escape(now)} (was {escape(was)})")
    old = {c.name: c for c in before.columns}
    new = {c.name: c for c in after.columns}
    added = [code(n) for n in new if n not in old]
    dropped = [code(n) for n in old if n not in new]
    changed = [code(n) for n in new if n in old and new[n] != old[n]]
    for word, names in (("adds", added), ("drops", dropped), ("changes", changed)):
        if names:
            changes.append(f"{word} {', '.join(names)}")
    what = "; ".join(changes) or "the same terms"
    why = f"\n> {escape(truncate(note, 500))}" if note else ""
    return f":left_right_arrow: {who} proposes {what}.{why}"
