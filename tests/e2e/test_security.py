"""Only requests signed by Slack, recently, reach the app; a forged one causes nothing at all.

The matrix sends every kind of forgery for every kind of request and checks three places a
side effect could show: the fake Slack Web API, an "attacker" server named as response_url,
and every table of demarc's database. Attack timestamps are computed when each test runs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from slack_bolt.request import BoltRequest
from sqlalchemy import func, select

from bot.blocks import ids
from bot.db.models import Base
from bot.slack.app import create_app
from bot.slack.web import EVENTS_PATH
from tests.e2e.conftest import SIGNING_SECRET, Alerting, Running, make_settings
from tests.fakes.fake_slack import wait_for
from tests.fakes.recorder import RecordingServer
from tests.fakes.signing import (
    BOT_USER_ID,
    action_body,
    command_body,
    event_body,
    options_body,
    signed_headers,
    view_submission_body,
)

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def attacker() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


def bodies(response_url: str) -> dict[str, tuple[str, str]]:
    """One request of each kind Slack sends, each naming `response_url` where it can."""
    event = {
        "type": "app_mention",
        "user": "U0ASKER001",
        "text": f"<@{BOT_USER_ID}> churn",
        "channel": "C0GENERAL1",
        "ts": "1767220000.000001",
    }
    note = {"note": {"text": {"type": "plain_text_input", "value": "forged"}}}
    return {
        "command": (command_body("customer_age", response_url=response_url), FORM),
        "incident command": (
            command_body("churn_model forged outage", response_url=response_url,
                         command="/incident"),
            FORM,
        ),
        "event": (event_body(event, event_id="Ev0SEC"), "application/json"),
        "action": (
            action_body(ids.SHARE_ANSWER_ACTION, "customer_age", response_url=response_url),
            FORM,
        ),
        "snooze": (action_body(ids.SNOOZE_ALERT_ACTION, "x", response_url=response_url), FORM),
        "options": (options_body("demarc.some.select", "cust"), FORM),
        "view submission": (
            view_submission_body(
                ids.NOTE_INCIDENT_VIEW,
                values=note,
                private_metadata=json.dumps({"incident": 1, "channel": "C0GENERAL1"}),
                response_url=response_url,
            ),
            FORM,
        ),
    }


def now() -> int:
    return int(time.time())


# Each attack: the headers to send for `body`, computed at test time.
Attack = Callable[[str], dict[str, str]]


def _signed_at(timestamp: str) -> Attack:
    """Signed with the real secret: only the timestamp is wrong, so the timestamp check
    itself must refuse it (and must not raise)."""
    return lambda body: signed_headers(SIGNING_SECRET, body, timestamp)


ATTACKS: dict[str, Attack] = {
    "unsigned": lambda body: {},
    "no timestamp": lambda body: {
        "X-Slack-Signature": signed_headers(SIGNING_SECRET, body, now())["X-Slack-Signature"]
    },
    "no signature": lambda body: {"X-Slack-Request-Timestamp": str(now())},
    "wrong secret": lambda body: signed_headers("not-the-signing-secret", body, now()),
    "stale": lambda body: signed_headers(SIGNING_SECRET, body, now() - 6 * 60),
    "from the future": lambda body: signed_headers(SIGNING_SECRET, body, now() + 6 * 60),
    "timestamp abc": lambda body: _signed_at("abc")(body),
    "timestamp empty": lambda body: _signed_at("")(body),
    "timestamp huge": lambda body: _signed_at("9" * 5000)(body),
    "timestamp negative": lambda body: _signed_at("-1")(body),
    "timestamp float": lambda body: _signed_at(f"{now()}.5")(body),
    "timestamp non-ascii": lambda body: {
        "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠",  # Arabic-Indic digits: int() takes them
        "X-Slack-Signature": "v0=00",
    },
    "garbage signature": lambda body: {
        "X-Slack-Request-Timestamp": str(now()),
        "X-Slack-Signature": "v0=é",
    },
}


def row_counts(alerting: Alerting) -> dict[str, int]:
    with alerting.services.engine.connect() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def post(
    http: httpx.Client, url: str, body: str | bytes, headers: dict[str, str]
) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    raw = {name: value.encode("utf-8") for name, value in headers.items()}  # non-ASCII too
    return http.post(url, content=data, headers=raw)


KINDS = list(bodies("x"))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_forged_requests_get_401_and_cause_nothing(
    alerting: Alerting, attacker: RecordingServer, kind: str, attack: str
) -> None:
    bot = alerting.bot
    body, content_type = bodies(attacker.url("/steal"))[kind]
    before = row_counts(alerting)
    headers = {"Content-Type": content_type, **ATTACKS[attack](body)}
    response = post(bot.http, bot.url + EVENTS_PATH, body, headers)
    assert response.status_code == 401, response.text
    assert "customer" not in response.text
    assert "Something went wrong" not in response.text
    assert bot.slack.requests == []  # no Web API call, no response_url, no auth.test
    assert attacker.hits == []
    assert row_counts(alerting) == before


@pytest.mark.parametrize("kind", KINDS)
def test_tampered_body_is_rejected(
    alerting: Alerting, attacker: RecordingServer, kind: str
) -> None:
    bot = alerting.bot
    body, content_type = bodies(attacker.url("/steal"))[kind]
    headers = {"Content-Type": content_type, **signed_headers(SIGNING_SECRET, body, now())}
    before = row_counts(alerting)
    tampered = body.replace("U0ASKER001", "U0ADMIN001")  # someone else, say an admin
    assert tampered != body
    response = post(bot.http, bot.url + EVENTS_PATH, tampered, headers)
    assert response.status_code == 401
    assert bot.slack.requests == []
    assert attacker.hits == []
    assert row_counts(alerting) == before


def test_a_non_utf8_body_is_refused_not_crashed(alerting: Alerting) -> None:
    bot = alerting.bot
    body = b"payload=\xff\xfe"
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(now()),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    assert post(bot.http, bot.url + EVENTS_PATH, body, headers).status_code == 401
    assert bot.slack.requests == []


def test_a_signed_request_never_reaches_a_foreign_response_url(
    alerting: Alerting, attacker: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Even when the signature is good, demarc only POSTs to an allowed (Slack) response_url."""
    caplog.set_level(logging.INFO)
    bot = alerting.bot
    for kind in ("incident command", "snooze"):
        body, content_type = bodies(attacker.url("/steal"))[kind]
        assert bot.sender.post(body, content_type).status_code == 200
    # Both would have answered on the response_url: wait until both answers were refused.
    wait_for(
        lambda: len([r for r in caplog.records if "outside the allowlist" in r.getMessage()]) >= 2,
        message="the refusals",
    )
    wait_for(
        lambda: len([r for r in caplog.records if "Unexpected error" in r.getMessage()]) >= 2,
        message="both answers given up",
    )
    assert attacker.hits == []
    assert bot.slack.responses() == []


def test_good_signature_is_accepted(bot: Running) -> None:
    body, content_type = bodies(bot.slack.response_url("ok"))["command"]
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


def test_verified_requests_no_listener_handles_are_acknowledged(bot: Running) -> None:
    """Slack disables an app whose events fail: anything verified gets a 200."""
    for body, content_type in (
        (options_body("demarc.some.select", "cust"), FORM),
        (view_submission_body("some.old.modal", values={}), FORM),
        (command_body("x", response_url=bot.slack.response_url("old"), command="/old"), FORM),
    ):
        assert bot.sender.post(body, content_type).status_code == 200
    assert bot.slack.requests == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("timestamp", ["abc", "", f"{10**20}.5"])
def test_bolt_by_itself_refuses_a_malformed_timestamp(
    alerting: Alerting, attacker: RecordingServer, kind: str, timestamp: str
) -> None:
    """Behind the WSGI check, Bolt's own check and the error handler hold too: an exception
    raised while verifying is a 401, and the forged body is never used."""
    app = create_app(
        make_settings(alerting.bot.slack),
        alerting.bot.holder,
        clock=alerting.clock,
        services=alerting.services,
    )
    body, content_type = bodies(attacker.url("/steal"))[kind]
    before = row_counts(alerting)
    headers = {"content-type": content_type, **signed_headers(SIGNING_SECRET, body, timestamp)}
    response = app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    assert "Something went wrong" not in response.body
    assert alerting.bot.slack.requests == []
    assert attacker.hits == []
    assert row_counts(alerting) == before
