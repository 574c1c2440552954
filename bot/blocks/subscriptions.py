"""The DMs a subscriber gets, and the answers to subscribing: short, escaped, no mentions but
the reader's own actions."""

from __future__ import annotations

from datetime import date

from bot.blocks import Block, context, ids, section
from bot.blocks.escape import channel_ref, code, escape, truncate

NAME_LIMIT = 80
SUBSCRIBE_BUTTON_TEXT = "Subscribe"
FOOTER = "You follow {asset}. Unsubscribe in demarc's Home tab or with `/demarc unsubscribe {raw}`."


def _footer(asset: str) -> Block:
    shown = truncate(asset, NAME_LIMIT)
    return context(FOOTER.format(asset=code(shown), raw=escape(shown)))


def render_breach_dm(
    asset: str, contract_id: str, channel: str, late: str
) -> tuple[str, list[Block]]:
    """A contract of a followed asset is late (`late`: "17 min late" or "late")."""
    text = f"{contract_id} is {late}"
    where = f" The alert is in {channel_ref(channel)}." if channel else ""
    return escape(text), [
        section(f":red_circle: {code(contract_id)} is {escape(late)}.{where}"),
        _footer(asset),
    ]


def render_recovery_dm(asset: str, contract_id: str, words: str) -> tuple[str, list[Block]]:
    text = f"{contract_id} recovered, {words}"
    return escape(text), [
        section(f":large_green_circle: {code(contract_id)} recovered: data arrived, "
                f"{escape(words)}."),
        _footer(asset),
    ]


INCIDENT_WORDS = {
    "opened": ":rotating_light: Incident #{id} ({sev}) opened on {asset}: {summary}",
    "acknowledged": ":eyes: Incident #{id} on {asset} was acknowledged.",
    "escalated": ":arrow_double_up: Incident #{id} on {asset} was escalated ({sev}).",
    "resolved": ":white_check_mark: Incident #{id} on {asset} is resolved.",
}


def render_incident_dm(
    asset: str, incident_id: int, kind: str, severity: str, summary: str, channel: str
) -> tuple[str, list[Block]]:
    line = INCIDENT_WORDS.get(kind, "Incident #{id} on {asset}: " + kind).format(
        id=incident_id,
        sev=escape(severity),
        asset=code(truncate(asset, NAME_LIMIT)),
        summary=escape(truncate(summary, 300)),
    )
    where = f" Follow it in {channel_ref(channel)}." if channel else ""
    return escape(f"Incident #{incident_id} on {asset}: {kind}"), [
        section(line + where),
        _footer(asset),
    ]


def render_notice_dm(
    asset: str, contract_id: str, change: str, effective: date, channel: str
) -> tuple[str, list[Block]]:
    text = f"Breaking change to {contract_id}, effective {effective:%Y-%m-%d}"
    where = f" Discussed in {channel_ref(channel)}." if channel else ""
    return escape(text), [
        section(
            f":loudspeaker: Breaking change to {code(contract_id)}, effective "
            f"*{effective:%a %Y-%m-%d}*:\n>{escape(truncate(change, 500))}{where}"
        ),
        _footer(asset),
    ]


def render_subscribe_button(asset: str) -> Block:
    """The Subscribe button under an answer (value: the asset id)."""
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": SUBSCRIBE_BUTTON_TEXT},
        "action_id": ids.SUBSCRIBE_ACTION,
        "value": asset[:2000],
    }


def subscribed_text(asset: str, new: bool) -> str:
    shown = code(truncate(asset, NAME_LIMIT))
    if not new:
        return f"You already follow {shown}."
    return (
        f"Subscribed to {shown}: I'll DM you when its contract breaches or recovers, when it "
        "has an incident, and when a breaking change to it is announced."
    )


def unsubscribed_text(asset: str, was: bool) -> str:
    shown = code(truncate(asset, NAME_LIMIT))
    return f"Unsubscribed from {shown}." if was else f"You did not follow {shown}."
