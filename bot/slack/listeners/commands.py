"""`/whoowns X`: answered in the ack body, ephemerally, well within Slack's 3 seconds."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack

from bot.blocks import Block, cap_blocks
from bot.blocks.answers import USAGE_TEXT, render_answer, render_answer_text, render_usage
from bot.blocks.escape import unescape
from bot.blocks.headsup import render_expected
from bot.blocks.requests import render_open_requests
from bot.freshness.etas import expected_times
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.lazy import Listener
from bot.slack.listeners.oncall import answer_registry
from ownership.answers import Answer, AssetAnswer, NotFound, who_owns

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock

logger = logging.getLogger(__name__)

MAX_QUERY = 200
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_ASKING = re.compile(r"^(?:who\s*owns|owner\s+of)\b[\s:]*", re.IGNORECASE)
_EDGES = "`'\"“”‘’?!.,:; \t\n"


def parse_query(text: str) -> str:
    """ "<@U1> who owns `customer_age`?" → "customer_age"; "" when nothing is asked."""
    text = _USER_MENTION.sub(" ", text)
    text = " ".join(unescape(text).split()).strip(_EDGES)
    text = _ASKING.sub("", text).strip(_EDGES)
    return text[:MAX_QUERY]


def make_whoowns_handler(
    holder: RegistryHolder,
    clock: Clock,
    services: Services | None = None,
    live: Callable[[Answer], Answer] | None = None,
) -> Listener:
    """`live` adds the contracts' last known freshness and quality (a primary-key read)."""

    def handle_whoowns_command(ack: Ack, command: dict[str, Any]) -> None:
        query = parse_query(str(command.get("text", "")))
        if not query:
            ack(response_type="ephemeral", text=USAGE_TEXT, blocks=render_usage())
            return
        now = clock()
        answer = who_owns(answer_registry(services, holder.registry, now), query, now)
        if live is not None:
            answer = live(answer)
        text = render_answer_text(answer)
        blocks = render_answer(
            answer,
            query=query,
            shareable=not isinstance(answer, NotFound),
            pageable=services is not None,
            requestable=getattr(services, "requests", None) is not None,
        )
        blocks = with_open_requests(blocks, answer, services)
        expected = _expected(holder, services, answer, now)
        if expected:
            lines, block = render_expected(expected, now)
            text, blocks = f"{text}\n{lines}", [*blocks, block]
        ack(response_type="ephemeral", text=text, blocks=blocks)

    # Answered in the ack: the registry, and indexed local reads (shifts taken in Slack, ETAs,
    # the asset's open data requests).
    return Listener(handle_whoowns_command)


def _expected(
    holder: RegistryHolder, services: Services | None, answer: Answer, now: datetime
) -> list[tuple[str, datetime, str]]:
    """ETAs on the asset's and its upstreams' late alerts (one local database read); an answer
    without them rather than none when the database cannot say."""
    if services is None or not isinstance(answer, AssetAnswer):
        return []
    try:
        found = expected_times(services.engine, holder.registry, answer.asset.id, now)
    except Exception:
        logger.warning("ETAs for /whoowns could not be read", exc_info=True)
        return []
    return [(e.contract, e.at, e.why) for e in found]


def with_open_requests(
    blocks: list[Block], answer: Answer, services: Services | None
) -> list[Block]:
    """An asset's open data requests, under its answer (one indexed query)."""
    service = getattr(services, "requests", None)
    if service is None or not isinstance(answer, AssetAnswer):
        return blocks
    rows = service.open_for(answer.asset.id)
    if not rows:
        return blocks
    registry = service.registry()
    listed = [
        (r.id, r.state, t.name if (t := registry.teams.get(r.consumer_team)) else r.consumer_team)
        for r in rows
    ]
    return cap_blocks([*blocks, render_open_requests(listed)])
