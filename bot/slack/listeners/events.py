"""Events API: `@demarc who owns X?` answered in a thread, and duplicate deliveries dropped.

Slack redelivers an event (with X-Slack-Retry-Num) when it did not see a 2xx in 3 seconds, and
Bolt does not deduplicate, so a global middleware drops any `event_id` it has already seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from logging import Logger
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.blocks import section
from bot.blocks.answers import USAGE_TEXT, render_answer, render_answer_text, render_usage
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.commands import parse_query
from bot.slack.listeners.incidents import answer_incident_mention
from bot.slack.listeners.lazy import Listener, after_ack
from bot.slack.listeners.oncall import answer_registry
from ownership.answers import who_owns

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock, Handler


class EventDeduper(Protocol):
    def seen_before(self, event_id: str) -> bool:
        """Record `event_id`; True if it was already recorded (check and record are atomic)."""
        ...


class InMemoryEventDeduper:
    """The last `capacity` event ids of this process (a shared store replaces it later)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def seen_before(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return True
            self._seen[event_id] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return False


def make_dedupe_middleware(deduper: EventDeduper) -> Handler:
    def drop_duplicate_events(
        body: dict[str, Any], next_: Callable[[], BoltResponse | None], logger: Logger
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and deduper.seen_before(event_id):
            logger.info("Dropped a duplicate delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        return next_()

    return drop_duplicate_events


def make_mention_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None = None
) -> Listener:
    def handle_app_mention_event(event: dict[str, Any], client: WebClient) -> None:
        query = parse_query(str(event.get("text", "")))
        incident = answer_incident_mention(
            str(event.get("text", "")), str(event.get("user", "")), services
        )
        if incident is not None:  # "@demarc incident <asset> <summary>"
            text, blocks = incident, [section(incident)]
        elif query:
            now = clock()
            answer = who_owns(answer_registry(services, holder.registry, now), query, now)
            text = render_answer_text(answer)
            blocks = render_answer(answer, query=query, pageable=services is not None)
        else:
            text, blocks = USAGE_TEXT, render_usage()
        client.chat_postMessage(
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event["ts"],
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )

    return after_ack(handle_app_mention_event)
