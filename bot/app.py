"""The composition root for Slack: `create_app` builds a Bolt app and calls nothing remote.

Nothing here runs at import. `App` would call auth.test while being built unless told not to;
Bolt's authorization middleware calls it on the first request instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.listeners import register_listeners
from bot.listeners.errors import handle_unexpected_error
from bot.listeners.events import EventDeduper, InMemoryEventDeduper, make_dedupe_middleware
from bot.registry_holder import RegistryHolder
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Services

RATE_LIMIT_RETRIES = 2


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_web_client(settings: Settings) -> WebClient:
    """A Web API client for `settings.slack_api_url` that waits out 429s (Retry-After)."""
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


def create_app(
    settings: Settings,
    holder: RegistryHolder,
    *,
    clock: Callable[[], datetime] = utc_now,
    deduper: EventDeduper | None = None,
    services: Services | None = None,
) -> App:
    """Build the Bolt app with every listener, the event deduper and the error handler."""
    app = App(
        name="demarc",
        client=create_web_client(settings),
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=True,
    )
    app.error(handle_unexpected_error)
    app.use(make_dedupe_middleware(deduper or InMemoryEventDeduper()))
    register_listeners(app, holder=holder, clock=clock, services=services)
    return app
