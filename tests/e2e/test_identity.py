"""The bot's identity: resolved once in the background, retried with backoff, never by Bolt."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.slack.identity import SlackIdentity
from tests.fakes.fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack, wait_for


def test_resolved_once_and_shown(slack: FakeSlack) -> None:
    identity = SlackIdentity("xoxb-e2e-token", slack.base_url)
    assert identity.status().startswith("not connected")
    identity.start()
    try:
        wait_for(lambda: identity.identity is not None, message="the identity")
        assert identity.status() == f"ok: {BOT_USER_ID} in {TEAM_ID}"
        result = identity.authorizer()()
        assert (result.bot_user_id, result.team_id, result.bot_token) == (
            BOT_USER_ID,
            TEAM_ID,
            "xoxb-e2e-token",
        )
    finally:
        identity.stop()
    assert len(slack.calls("auth.test")) == 1


def test_failures_back_off_with_one_line_each(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail_next("auth.test", times=3, status=500)
    waits: list[float] = []

    def no_wait(_stop: threading.Event, seconds: float) -> bool:
        waits.append(seconds)
        return False

    identity = SlackIdentity("xoxb-e2e-token", slack.base_url, wait=no_wait)
    with caplog.at_level(logging.INFO, logger="bot.slack.identity"):
        identity.start()
        wait_for(lambda: identity.identity is not None, message="the identity")
        identity.stop()
    assert waits == [1.0, 2.0, 4.0]
    assert len(slack.calls("auth.test")) == 4  # no retries inside the client: ours only
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"Slack answered auth.test with fatal_error (HTTP 500) (attempt {n}); retrying in {s}s"
        for n, s in ((1, 1), (2, 2), (3, 4))
    ]
    assert all(r.exc_info is None for r in caplog.records)


def test_without_an_identity_requests_carry_the_token_and_no_bot_id() -> None:
    result = SlackIdentity("xoxb-t", "http://127.0.0.1:9/api/").authorizer()()
    assert result.bot_token == "xoxb-t"
    assert result.bot_user_id is None
