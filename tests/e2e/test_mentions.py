"""`@demarc who owns X?` in a channel: a threaded reply, once per event however often sent."""

from __future__ import annotations

import json
import threading

import httpx

from bot.registry.holder import RegistryHolder
from bot.slack.app import create_app
from bot.slack.web import EVENTS_PATH
from tests.e2e.conftest import SIGNING_SECRET, Running, make_settings, serving
from tests.fakes.fake_slack import FakeSlack, RecordedRequest, wait_for
from tests.fakes.signing import BOT_USER_ID, CHANNEL_ID, FakeSlackSender


def replies_to(bot: Running, thread_ts: str) -> list[RecordedRequest]:
    return [r for r in bot.slack.calls("chat.postMessage") if r.body.get("thread_ts") == thread_ts]


def test_mention_is_answered_in_a_thread(bot: Running) -> None:
    response = bot.sender.app_mention(
        f"<@{BOT_USER_ID}> who owns `customer_age`?", event_id="Ev0001", ts="1767220000.000100"
    )
    assert response.status_code == 200
    wait_for(lambda: replies_to(bot, "1767220000.000100"), message="a threaded reply")
    [reply] = replies_to(bot, "1767220000.000100")
    assert reply.body["channel"] == CHANNEL_ID
    blocks = json.dumps(reply.body["blocks"], ensure_ascii=False)
    assert "customer_age (feature)" in blocks
    assert "*MLOps Churn* (@mlops-churn)" in blocks
    assert "<!subteam" not in blocks
    assert "<@" not in blocks
    assert "⬆ customer_master_db (source) — R/A Data Engineering" in blocks
    assert '"actions"' not in blocks  # already in the channel: nothing to share


def test_mention_inside_a_thread_replies_in_that_thread(bot: Running) -> None:
    bot.sender.app_mention(
        f"<@{BOT_USER_ID}> owner of churn_model",
        event_id="Ev0002",
        ts="1767220000.000300",
        thread_ts="1767220000.000200",
    )
    wait_for(lambda: replies_to(bot, "1767220000.000200"), message="a reply in the thread")
    assert "churn_model (model)" in json.dumps(replies_to(bot, "1767220000.000200")[0].body)


def test_bare_mention_gets_usage(bot: Running) -> None:
    bot.sender.app_mention(f"<@{BOT_USER_ID}>", event_id="Ev0003", ts="1767220000.000400")
    wait_for(lambda: replies_to(bot, "1767220000.000400"), message="usage")
    assert "/whoowns customer_age" in replies_to(bot, "1767220000.000400")[0].body["text"]


def test_duplicate_delivery_is_answered_once(bot: Running) -> None:
    first = bot.sender.app_mention(
        f"<@{BOT_USER_ID}> whoowns customer_age", event_id="Ev0DUP", ts="1767220000.000500"
    )
    retry = bot.sender.app_mention(
        f"<@{BOT_USER_ID}> whoowns customer_age",
        event_id="Ev0DUP",
        ts="1767220000.000500",
        retry_num=1,
    )
    assert first.status_code == retry.status_code == 200
    # A later, different event is answered; by then a duplicate reply would have been posted.
    bot.sender.app_mention(f"<@{BOT_USER_ID}> churn", event_id="Ev0LATER", ts="1767220000.000600")
    wait_for(lambda: replies_to(bot, "1767220000.000600"), message="the later event's reply")
    wait_for(lambda: replies_to(bot, "1767220000.000500"), message="the first reply")
    assert len(replies_to(bot, "1767220000.000500")) == 1


def test_channel_ping_in_a_mention_never_pings(bot: Running) -> None:
    bot.sender.app_mention(
        f"<@{BOT_USER_ID}> who owns <!channel>?", event_id="Ev0PING", ts="1767220000.000700"
    )
    wait_for(lambda: replies_to(bot, "1767220000.000700"), message="a reply")
    [reply] = replies_to(bot, "1767220000.000700")
    sent = json.dumps(reply.body, ensure_ascii=False)
    assert "&lt;!channel&gt;" in sent
    assert "<!channel" not in sent


def test_events_without_a_listener_are_acknowledged_and_ignored(bot: Running) -> None:
    event = {
        "type": "reaction_added",
        "user": "U0ASKER001",
        "reaction": "eyes",
        "item": {"type": "message", "channel": CHANNEL_ID, "ts": "1.2"},
        "event_ts": "1.3",
    }
    assert bot.sender.event(event, event_id="Ev0OTHER").status_code == 200
    assert bot.sender.action("some.old.button", "x").status_code == 200
    assert not [r for r in bot.slack.requests if r.method.startswith("chat.")]


def test_no_work_after_an_ack_outlives_the_app(slack: FakeSlack) -> None:
    """The listener threads stop with the app, not in a later test (where a Slack client's
    retries, with random jitter, would run against a fake that is gone)."""
    settings = make_settings(slack)
    app = create_app(settings, RegistryHolder.from_path(settings.registry_path))
    with serving(app) as url, httpx.Client(timeout=10.0) as http:
        sender = FakeSlackSender(
            http, url + EVENTS_PATH, SIGNING_SECRET, response_url=slack.response_url
        )
        response = sender.app_mention(
            f"<@{BOT_USER_ID}> who owns `customer_age`?", event_id="Ev0L1", ts="1767220000.000200"
        )
        assert response.status_code == 200
        wait_for(
            lambda: [r for r in slack.calls("chat.postMessage") if r.body.get("thread_ts")],
            message="the threaded reply",
        )
    assert not [t for t in threading.enumerate() if t.name.startswith("listener")]
