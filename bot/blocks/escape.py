"""The only place Slack text is escaped and mentions are built.

Slack reads `&`, `<` and `>` as control characters in every text field: `<!channel>` pings a
whole channel and `<@U…>` pings a person. Every string that comes from a user or from the
registry goes through `escape`; mentions and links are built here only, from ids that match
Slack's id patterns, so nothing a user or a YAML author writes can ping anyone.
"""

from __future__ import annotations

import re

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
USERGROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>|`]+$")


def escape(text: str) -> str:
    """Escape Slack's three control characters (`&` first, so nothing is escaped twice)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of message text (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code(text: str) -> str:
    """Inline code span; a backtick inside would end the span early, so it becomes a quote."""
    return "`" + escape(text.replace("`", "'")) + "`"


def bold(text: str) -> str:
    return "*" + escape(text.replace("*", "")) + "*"


def user_mention(user_id: str | None) -> str | None:
    """`<@U…>` for a well-formed user id, else None."""
    if user_id is None or not USER_ID.match(user_id):
        return None
    return f"<@{user_id}>"


def usergroup_mention(group_id: str | None) -> str | None:
    """`<!subteam^S…>` for a well-formed user group id, else None."""
    if group_id is None or not USERGROUP_ID.match(group_id):
        return None
    return f"<!subteam^{group_id}>"


def channel_ref(channel: str) -> str:
    """`<#C…>` (a link, never a ping) for a channel id; a name like "#data-eng" as text."""
    return f"<#{channel}>" if CHANNEL_ID.match(channel) else escape(channel)


def link(url: str, label: str) -> str:
    """`<url|label>` for a plain http(s) URL; anything else is shown as escaped text."""
    if not _SAFE_URL.match(url):
        return f"{escape(label)}: {escape(url)}"
    return f"<{escape(url)}|{escape(label)}>"


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"
