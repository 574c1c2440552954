"""A stand-in for the Slack Web API client that prints messages in the terminal (`demarc demo`).

It answers `chat_postMessage` and `chat_update` like Slack would (a channel and a ts), so the
real outbox delivers to it, and renders the Block Kit it receives as plain text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any, TextIO

from bot.blocks.escape import unescape
from ownership.model import Registry

EMOJI = {
    ":red_circle:": "🔴", ":large_green_circle:": "🟢", ":warning:": "⚠️", ":zzz:": "💤",
    ":white_check_mark:": "✅", ":arrow_up:": "⬆", ":arrow_down:": "⬇",
    ":rotating_light:": "🚨", ":information_source:": "ℹ️", ":eyes:": "👀", ":memo:": "📝",
    ":hourglass:": "⌛", ":link:": "🔗",
}  # fmt: skip
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]+)>")


class TerminalSlack:
    def __init__(self, registry: Callable[[], Registry], out: TextIO) -> None:
        self.registry = registry
        self.out = out
        self._ts = itertools.count(1)
        self._numbers: dict[str, int] = {}
        self.retry_handlers: list[object] = []

    def chat_postMessage(self, **args: Any) -> dict[str, Any]:
        ts = f"{next(self._ts)}.000000"
        self._numbers[ts] = len(self._numbers) + 1
        channel = str(args["channel"])
        if args.get("thread_ts"):
            number = self._numbers.get(str(args["thread_ts"]), "?")
            self._print(f"{channel} · reply to message {number}", args)
        else:
            self._print(f"{channel} · message {self._numbers[ts]}", args)
        return {"ok": True, "channel": channel, "ts": ts}

    def chat_update(self, **args: Any) -> dict[str, Any]:
        number = self._numbers.get(str(args["ts"]), "?")
        self._print(f"{args['channel']} · message {number} edited", args)
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _print(self, title: str, args: dict[str, Any]) -> None:
        body = render_blocks(args.get("blocks") or [], self.registry()) or str(args.get("text"))
        print(f"\n┌─ {title}", file=self.out)
        for line in body.splitlines():
            print(f"│ {line}", file=self.out)
        print("└─", file=self.out, flush=True)


def render_blocks(blocks: list[dict[str, Any]], registry: Registry) -> str:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header", "context"):
            texts = [block.get("text") or {}, *list(block.get("elements") or [])]
            text = " · ".join(
                t.get("text", "") for t in texts if isinstance(t, dict) and t.get("text")
            )
            if text:
                lines.append(to_plain(text, registry))
        elif kind == "actions":
            labels = []
            for element in block.get("elements") or []:
                label = (element.get("text") or element.get("placeholder") or {}).get("text")
                if label:
                    labels.append(f"[{label}]")
            lines.append(" ".join(labels))
    return "\n".join(lines)


def to_plain(text: str, registry: Registry) -> str:
    """Slack mrkdwn to terminal text: names for mentions, "label (url)" for links."""
    people = {p.slack_id: p.name for t in registry.teams.values() for p in t.members if p.slack_id}
    groups = {
        t.usergroup.id: t.usergroup.handle or t.name for t in registry.teams.values() if t.usergroup
    }
    text = _USER.sub(lambda m: "@" + people.get(m.group(1), m.group(1)), text)
    text = _GROUP.sub(lambda m: "@" + groups.get(m.group(1), m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    for code, symbol in EMOJI.items():
        text = text.replace(code, symbol)
    return unescape(text)
