"""Only requests signed by Slack, recently, reach the app; nothing else reaches Slack."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot import ids
from bot.web import EVENTS_PATH
from tests.e2e.conftest import SIGNING_SECRET, Running
from tests.fakes.signing import (
    BOT_USER_ID,
    action_body,
    command_body,
    event_body,
    signed_headers,
)


def bodies(bot: Running) -> dict[str, tuple[str, str]]:
    url = bot.slack.response_url("nope")
    event = {
        "type": "app_mention",
        "user": "U0ASKER001",
        "text": f"<@{BOT_USER_ID}> churn",
        "channel": "C0GENERAL1",
        "ts": "1767220000.000001",
    }
    return {
        "command": (
            command_body("customer_age", response_url=url),
            "application/x-www-form-urlencoded",
        ),
        "event": (event_body(event, event_id="Ev0SEC"), "application/json"),
        "action": (
            action_body(ids.SHARE_ANSWER_ACTION, "customer_age", response_url=url),
            "application/x-www-form-urlencoded",
        ),
    }


ATTACKS: dict[str, dict[str, Any]] = {
    "unsigned": {"signed": False},
    "wrong secret": {"secret": "not-the-signing-secret"},
    "stale": {"timestamp": int(time.time()) - 6 * 60},
    "from the future": {"timestamp": int(time.time()) + 6 * 60},
}


@pytest.mark.parametrize("kind", ["command", "event", "action"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_bad_signatures_are_rejected(bot: Running, kind: str, attack: str) -> None:
    body, content_type = bodies(bot)[kind]
    response = bot.sender.post(body, content_type, **ATTACKS[attack])
    assert response.status_code == 401
    assert "customer" not in response.text
    assert bot.slack.requests == []  # rejected before any listener (or auth.test) ran


def test_tampered_body_is_rejected(bot: Running) -> None:
    body, content_type = bodies(bot)["command"]
    headers = {
        "Content-Type": content_type,
        **signed_headers(SIGNING_SECRET, body, int(time.time())),
    }
    tampered = body.replace("customer_age", "churn_model")
    response = bot.http.post(bot.url + EVENTS_PATH, content=tampered, headers=headers)
    assert response.status_code == 401
    assert bot.slack.requests == []


def test_good_signature_is_accepted(bot: Running) -> None:
    body, content_type = bodies(bot)["command"]
    assert bot.sender.post(body, content_type).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/slack/events", 405),
        ("GET", "/", 404),
        ("POST", "/other", 404),
        ("POST", "/healthz", 405),
    ],
)
def test_routes(bot: Running, method: str, path: str, status: int) -> None:
    response = bot.http.request(method, bot.url + path)
    assert response.status_code == status
    if path == "/healthz" and status == 200:
        assert response.json() == {"status": "ok"}
        assert response.headers["content-type"].startswith("application/json")


def test_url_verification_challenge_is_answered(bot: Running) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "legacy", "challenge": challenge, "type": "url_verification"})
    response = bot.sender.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}
