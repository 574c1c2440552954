"""The heads-up before a deadline: a short note that pages nobody (no mention), then edited
when the period settles: late (the alert follows) or arrived."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.escape import channel_ref, code, escape
from ownership.timeparse import format_instant

Block = dict[str, Any]


def _section(text: str) -> list[Block]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def render_heads_up(
    contract_id: str, expected: datetime, deadline: datetime, now: datetime
) -> dict[str, Any]:
    text = (
        f":hourglass_flowing_sand: Heads-up: {code(contract_id)} has not arrived; "
        f"due {format_instant(expected, now)}, late after {format_instant(deadline, now)}. "
        "Nobody is paged yet."
    )
    return {"text": text, "blocks": _section(text)}


def render_heads_up_late(contract_id: str, deadline: datetime, now: datetime) -> dict[str, Any]:
    text = (
        f":red_circle: {code(contract_id)} did not arrive by {format_instant(deadline, now)}: "
        "it is late now, and the alert has gone to the on-call."
    )
    return {"text": text, "blocks": _section(text)}


def render_heads_up_arrived(
    contract_id: str, arrived: datetime, deadline: datetime, now: datetime
) -> dict[str, Any]:
    late = arrived > deadline
    word = "late" if late else "in time"
    text = (
        f":white_check_mark: {code(contract_id)} arrived at {format_instant(arrived, now)}, "
        f"{word} (late after {format_instant(deadline, now)})."
    )
    return {"text": text, "blocks": _section(text)}


def render_predicted(
    downstream: str,
    deadline: datetime,
    upstream: str,
    upstream_late_by: str,
    lag: str,
    tag: str | None,
    upstream_channel: str | None,
    now: datetime,
    *,
    eta: datetime | None = None,
    expected: datetime | None = None,
) -> dict[str, Any]:
    """ "churn_features will likely miss 04:45 UTC: customer_master_db is 1 h 10 min late …";
    with an ETA on the upstream, the downstream's new expected time."""
    where = f" Its alert is in {channel_ref(upstream_channel)}." if upstream_channel else ""
    who = f"{tag}: " if tag else ""
    if eta is not None and expected is not None:
        verdict = "will likely miss" if expected > deadline else "should now make"
        text = (
            f":crystal_ball: {who}{code(downstream)} {verdict} {format_instant(deadline, now)}: "
            f"{code(upstream)} has an ETA of {format_instant(eta, now)} and {code(downstream)} "
            f"usually lands {lag} after it, so expect it about "
            f"{format_instant(expected, now)}.{where}"
        )
    else:
        text = (
            f":crystal_ball: {who}{code(downstream)} will likely miss "
            f"{format_instant(deadline, now)}: {code(upstream)} is {upstream_late_by} late and "
            f"{code(downstream)} usually lands {lag} after it.{where} If it breaks, it is "
            "listed under that alert; nobody else is paged."
        )
    return {"text": text, "blocks": _section(text)}


def render_expected(lines: list[tuple[str, datetime, str]], now: datetime) -> tuple[str, Block]:
    """The ETAs under a `/whoowns` answer: (contract, expected at, why), as text and a block."""
    text = "\n".join(
        f":stopwatch: {code(cid)} expected about {format_instant(at, now)} ({why})"
        for cid, at, why in lines
    )
    return text, {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2900]}]}


def render_planned(
    asset: str, until: datetime, reason: str, contracts: list[str], now: datetime
) -> dict[str, Any]:
    """One notice per downstream owner channel: an upstream is silenced, so these wait."""
    names = ", ".join(code(c) for c in contracts[:10]) + (" …" if len(contracts) > 10 else "")
    why = f" ({escape(reason[:200])})" if reason else ""
    text = (
        f":construction: {code(asset)} is on a planned delay until "
        f"{format_instant(until, now)}{why}. Alerts for {names}, downstream of it, are held "
        "until then; checks go on, and anything still late then is posted."
    )
    return {"text": text, "blocks": _section(text)}
