"""The real app behind waitress on 127.0.0.1, a fake Slack Web API, and signed requests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import App
from slack_sdk import WebClient
from waitress import wasyncore

from bot.bootstrap import Services, build
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from bot.slack.app import create_app, stop_listeners
from bot.slack.http_server import make_server
from bot.slack.web import EVENTS_PATH, WebApp
from tests.conftest import EXAMPLE_REGISTRY
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.signing import FakeSlackSender
from tests.integration.conftest import database_url  # noqa: F401  (fixture: each backend)
from tests.integration.worlds import Clock as SettableClock  # one clock for app and services
from tests.integration.worlds import deliver

SIGNING_SECRET = "e2e-signing-secret"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday: on-call rotations are mid-shift


@dataclass
class Running:
    url: str
    slack: FakeSlack
    sender: FakeSlackSender
    http: httpx.Client
    holder: RegistryHolder


def make_settings(slack: FakeSlack) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-e2e-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "DEMARC_REGISTRY": str(EXAMPLE_REGISTRY),
            "DEMARC_SLACK_API_URL": slack.base_url,
            "DEMARC_RESPONSE_URL_PREFIXES": slack.response_prefix,
        }
    )


@contextmanager
def serving(app: App | None, **web: Any) -> Iterator[str]:
    """Run `app` under waitress in a thread; stop it between polls so nothing races.

    `web` goes to `WebApp` (health, metrics); the signing secret is the e2e one.
    """
    server = make_server(WebApp(app, signing_secret=SIGNING_SECRET, **web))
    socket_map = server._map  # type: ignore[union-attr]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.02, map=socket_map, count=1)

    thread = threading.Thread(target=loop, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)
        if app is not None:  # work after acks ends here, not in a later test
            stop_listeners(app)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def start(slack: FakeSlack) -> Iterator[Callable[..., Running]]:
    """`start(clock=...)` runs a fresh app; everything is shut down after the test."""
    with ExitStack() as stack:

        def run(clock: Callable[[], datetime] = lambda: NOW) -> Running:
            settings = make_settings(slack)
            holder = RegistryHolder.from_path(settings.registry_path)
            app = create_app(settings, holder, clock=clock)
            url = stack.enter_context(serving(app))
            http = stack.enter_context(httpx.Client(timeout=10.0))
            sender = FakeSlackSender(
                http, url + EVENTS_PATH, SIGNING_SECRET, response_url=slack.response_url
            )
            return Running(url, slack, sender, http, holder)

        yield run


@pytest.fixture
def bot(start: Callable[..., Running]) -> Running:
    return start()


# ---------------------------------------------------------------------- with the database
@dataclass
class Alerting:
    """A running app with freshness services on a SQLite file (also the "warehouse")."""

    bot: Running
    services: Services
    clock: SettableClock
    database_url: str

    def deliver(self, rounds: int = 5) -> None:
        """Run the outbox; pacing is 1 message/s per channel, so step the clock along."""
        deliver(self.services, self.clock, rounds)


@pytest.fixture
def alerting(slack: FakeSlack, tmp_path: Path) -> Iterator[Alerting]:
    """`create_app(..., clock=clock, services=services)` behind waitress, on the example registry.

    Contract probes read WAREHOUSE_URL, which is the same SQLite file; nothing is scheduled and
    no outbox thread runs: tests call `services.freshness.check()` and `deliver()` themselves.
    """
    url_of_db = f"sqlite:///{tmp_path / 'demarc.sqlite3'}"
    clock = SettableClock(NOW)
    settings = make_settings(slack)
    holder = RegistryHolder.from_path(settings.registry_path)
    client = WebClient(token=settings.slack_bot_token, base_url=slack.base_url, retry_handlers=[])
    services = build(
        replace(settings, database_url=url_of_db),
        slack_client=client,
        environ={"WAREHOUSE_URL": url_of_db},
        clock=clock,
        holder=holder,
        probe_timeout=20,
    )
    try:
        with ExitStack() as stack:
            app = create_app(settings, holder, clock=clock, services=services)
            url = stack.enter_context(serving(app))
            http = stack.enter_context(httpx.Client(timeout=10.0))
            sender = FakeSlackSender(
                http, url + EVENTS_PATH, SIGNING_SECRET, response_url=slack.response_url
            )
            yield Alerting(Running(url, slack, sender, http, holder), services, clock, url_of_db)
    finally:
        services.close()
