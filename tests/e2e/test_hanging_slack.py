"""A Slack Web API that accepts and never answers: demarc still acks within Slack's 3 seconds,
and /healthz answers within 1 second, even with more requests in flight than server threads.

Measured with deadlines on real HTTP requests (no sleeps): the fake Slack hangs until the test
ends, so anything that waits on it would blow the deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult

from bot.blocks import ids
from bot.cli.serve import health_check
from bot.registry.holder import RegistryHolder
from bot.slack.app import create_app
from bot.slack.http_server import THREADS
from bot.slack.identity import SlackIdentity
from bot.slack.web import EVENTS_PATH
from tests.e2e.conftest import SIGNING_SECRET, make_settings, serving
from tests.fakes.fake_slack import FakeSlack, wait_for
from tests.fakes.signing import BOT_USER_ID, FakeSlackSender, command_body

ACK_DEADLINE = 3.0  # Slack gives up after 3 s
HEALTH_DEADLINE = 1.0
CONCURRENT = 16  # more than the 8 server threads and the listener pool's 16, together


@dataclass
class Hung:
    url: str
    sender: FakeSlackSender
    slack: FakeSlack
    identity: SlackIdentity


@pytest.fixture
def hung(slack: FakeSlack) -> Iterator[Hung]:
    slack.hang()
    settings = make_settings(slack)
    holder = RegistryHolder.from_path(settings.registry_path)
    identity = SlackIdentity(settings.slack_bot_token, slack.base_url, timeout=30)
    with ExitStack() as stack:
        stack.callback(identity.stop)
        identity.start()
        app = create_app(settings, holder, identity=identity)
        health = health_check(lambda: {"status": "ok", "checks": {}}, identity)
        url = stack.enter_context(serving(app, health=health))
        stack.callback(slack.release)  # before serving's exit, which waits for hung work
        http = stack.enter_context(httpx.Client(timeout=10.0))
        sender = FakeSlackSender(
            http, url + EVENTS_PATH, SIGNING_SECRET, response_url=slack.response_url
        )
        yield Hung(url, sender, slack, identity)


def timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    start = time.monotonic()
    response = call()
    return time.monotonic() - start, response


def test_whoowns_is_answered_while_slack_hangs(hung: Hung) -> None:
    wait_for(lambda: hung.slack.calls("auth.test"), message="auth.test to be under way")
    seconds, response = timed(lambda: hung.sender.command("customer_age"))
    assert seconds < ACK_DEADLINE
    assert response.status_code == 200
    assert "customer_age" in response.json()["text"]


def test_healthz_shows_slack_is_not_connected(hung: Hung) -> None:
    seconds, response = timed(lambda: httpx.get(hung.url + "/healthz", timeout=5))
    assert seconds < HEALTH_DEADLINE
    assert response.status_code == 200
    assert response.json()["checks"]["slack"].startswith("not connected")


def test_acks_and_health_hold_under_a_crowd_of_requests(hung: Hung) -> None:
    """Mentions and button clicks whose replies hang, interleaved with /whoowns and /healthz."""

    def mention(i: int) -> httpx.Response:
        return hung.sender.app_mention(f"<@{BOT_USER_ID}> churn", event_id=f"Ev0HANG{i}")

    def click(i: int) -> httpx.Response:
        return hung.sender.action(ids.SHARE_ANSWER_ACTION, "customer_age", response_id=f"h{i}")

    def whoowns(i: int) -> httpx.Response:
        return hung.sender.command("churn_model", response_id=f"w{i}")

    with ThreadPoolExecutor(max_workers=3 * CONCURRENT) as pool:
        # First fill the listener pool with work that hangs on Slack...
        slow = [
            pool.submit(timed, lambda i=i, f=f: f(i))
            for i in range(CONCURRENT)
            for f in (mention, click)
        ]
        for future in slow:
            seconds, response = future.result(timeout=30)
            assert response.status_code == 200
            assert seconds < ACK_DEADLINE
        wait_for(
            lambda: len(hung.slack.calls("chat.postMessage")) >= 8,
            message="replies to be stuck in Slack",
        )
        # ...then ask, many at once, while that work is still stuck.
        fast = [pool.submit(timed, lambda i=i: whoowns(i)) for i in range(CONCURRENT)]
        health = [
            pool.submit(timed, lambda: httpx.get(hung.url + "/healthz", timeout=5))
            for _ in range(4)
        ]
        for future in fast:
            seconds, response = future.result(timeout=30)
            assert response.status_code == 200
            assert "churn_model" in response.json()["text"]
            assert seconds < ACK_DEADLINE
        for future in health:
            seconds, response = future.result(timeout=30)
            assert response.status_code == 200
            assert seconds < HEALTH_DEADLINE
    assert hung.slack.calls("auth.test")  # the identity was asked for, and is still waiting
    assert hung.identity.identity is None


def test_health_has_threads_of_its_own() -> None:
    """Every server thread stuck in a handler: /healthz still answers at once."""
    app = App(
        signing_secret=SIGNING_SECRET,
        authorize=lambda: AuthorizeResult(enterprise_id=None, team_id=None, bot_token="xoxb-x"),
        process_before_response=True,
    )
    release = threading.Event()
    entered = threading.Semaphore(0)

    @app.command("/whoowns")
    def stuck(ack: Ack) -> None:
        entered.release()
        release.wait(30)
        ack()

    with (
        serving(app) as url,
        ThreadPoolExecutor(max_workers=THREADS + 4) as pool,
        httpx.Client(timeout=30) as http,
    ):
        try:
            sender = FakeSlackSender(
                http, url + EVENTS_PATH, SIGNING_SECRET, response_url=lambda r: r
            )
            body = command_body("x", response_url="https://hooks.slack.com/x")
            stuck_calls = [
                pool.submit(sender.post, body, "application/x-www-form-urlencoded")
                for _ in range(THREADS + 4)
            ]
            for _ in range(THREADS):  # every Slack thread is now inside the handler
                assert entered.acquire(timeout=10)
            seconds, response = timed(lambda: httpx.get(url + "/healthz", timeout=5))
            assert response.status_code == 200
            assert seconds < HEALTH_DEADLINE
        finally:
            release.set()
        for future in stuck_calls:
            assert future.result(timeout=30).status_code == 200
