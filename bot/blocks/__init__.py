"""Block Kit built by pure functions from domain values; nothing here calls Slack."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
MAX_BLOCKS = 50


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> Block:
    """`text` must already be escaped; it is cut to Slack's 150-character limit."""
    if len(text) > HEADER_TEXT_LIMIT:
        text = text[: HEADER_TEXT_LIMIT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def fit_lines(lines: list[str], limit: int = SECTION_TEXT_LIMIT) -> str:
    """Join lines within `limit` characters, ending with "… and N more" when some don't fit."""
    joined = "\n".join(lines)
    if len(joined) <= limit:
        return joined
    kept: list[str] = []
    used = -1  # no newline before the first line
    for index, line in enumerate(lines):
        suffix = f"\n… and {len(lines) - index - 1} more"
        if used + 1 + len(line) + len(suffix) > limit:
            break
        kept.append(line)
        used += 1 + len(line)
    return "\n".join([*kept, f"… and {len(lines) - len(kept)} more"])


def cap_blocks(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """Keep a message within Slack's block limit, saying how many blocks were left out."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], context(f"… and {len(blocks) - limit + 1} more")]
