"""The composition root for Slack: `create_app` builds a Bolt app and calls nothing remote.

Nothing here runs at import, and Bolt never calls `auth.test`: it would while being built, or
on the first request (30 s of a hanging Slack); `authorize` hands it the bot token and the
identity `SlackIdentity` resolves in the background instead. Listeners acknowledge on the
request thread and work after the ack (`process_before_response=True` plus lazy listeners).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.registry.gate import AnswerGate
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from bot.slack.identity import SlackIdentity
from bot.slack.listeners import register_listeners
from bot.slack.listeners.errors import handle_unexpected_error
from bot.slack.listeners.events import EventDeduper, InMemoryEventDeduper, make_dedupe_middleware
from bot.slack.verification import ResponseUrls, make_edge_middleware

if TYPE_CHECKING:
    from bot.bootstrap import Services

RATE_LIMIT_RETRIES = 2
LISTENER_TIMEOUT = 10  # seconds per Web API call made after the ack (Slack's default is 30)
LISTENER_THREADS = 16


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_web_client(settings: Settings) -> WebClient:
    """A Web API client for `settings.slack_api_url` that waits out 429s (Retry-After).

    Tokenless: Bolt copies it for each request and `authorize` sets the bot token there.
    """
    client = WebClient(base_url=settings.slack_api_url, timeout=LISTENER_TIMEOUT)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


def create_app(
    settings: Settings,
    holder: RegistryHolder,
    *,
    clock: Callable[[], datetime] = utc_now,
    deduper: EventDeduper | None = None,
    services: Services | None = None,
    identity: SlackIdentity | None = None,
) -> App:
    """Build the Bolt app with every listener, the event deduper and the error handler.

    `identity` is started by the caller (`demarc serve`); without one, requests carry the
    bot token and no bot user id.
    """
    identity = identity or SlackIdentity(settings.slack_bot_token, settings.slack_api_url)
    with _quiet_token_warning():
        app = _build_app(settings, identity, holder.gate)
    app.error(handle_unexpected_error)
    app.use(make_dedupe_middleware(deduper or InMemoryEventDeduper()))
    register_listeners(app, holder=holder, clock=clock, services=services)
    return app


class _AnsweringApp(App):
    """Bolt's App, counting each dispatch as an answer in progress (`bot.registry.gate`), in
    HTTP and Socket Mode alike: a registry reload gives way to it. (Bolt's middleware cannot:
    its `next()` only marks the chain as continued; listeners run after the middleware.)"""

    def __init__(self, gate: AnswerGate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._answers_gate = gate

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with self._answers_gate.answering():
            return super().dispatch(req)


def _build_app(settings: Settings, identity: SlackIdentity, gate: AnswerGate) -> App:
    return _AnsweringApp(
        gate,
        name="demarc",
        client=create_web_client(settings),
        signing_secret=settings.slack_signing_secret,
        authorize=identity.authorizer(),
        before_authorize=make_edge_middleware(ResponseUrls(settings.response_url_prefixes)),
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
        raise_error_for_unhandled_request=True,
    )


def stop_listeners(app: App) -> None:
    """Let the work after acks that has started finish, and drop what has not: at shutdown,
    so no listener thread outlives the process's Slack client (or a test's fake Slack)."""
    app.listener_runner.listener_executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _quiet_token_warning() -> Iterator[None]:
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns, once, that
    the client (whose token `authorize` sets) wins: true, and nothing to act on."""

    def drop(record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()

    logger = logging.getLogger("slack_bolt.App")
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
