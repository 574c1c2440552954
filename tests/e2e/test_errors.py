"""An exception anywhere becomes "Something went wrong (ref …)" in Slack and a full log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

import pytest

from bot.blocks import ids
from tests.e2e.conftest import Running
from tests.fakes.fake_slack import wait_for
from tests.fakes.signing import BOT_USER_ID

SECRET_DETAIL = "db password is hunter2"
ERROR = re.compile(
    r"^Something went wrong \(ref ([0-9a-f]{6})\)\. The on-call for demarc can look it up\.$"
)


def broken_clock() -> datetime:
    raise RuntimeError(SECRET_DETAIL)


@pytest.fixture
def broken(start: Callable[..., Running]) -> Running:
    return start(clock=broken_clock)


def logged_ref(caplog: pytest.LogCaptureFixture, ref: str) -> logging.LogRecord:
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert SECRET_DETAIL in str(record.exc_info[1])
    return record


def test_command_failure_answers_with_a_ref(
    broken: Running, caplog: pytest.LogCaptureFixture
) -> None:
    response = broken.sender.command("customer_age")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    match = ERROR.match(body["text"])
    assert match, body
    for leak in (SECRET_DETAIL, "Traceback", "RuntimeError"):
        assert leak not in response.text
    logged_ref(caplog, match.group(1))


def test_mention_failure_replies_in_the_thread_with_a_ref(
    broken: Running, caplog: pytest.LogCaptureFixture
) -> None:
    broken.sender.app_mention(f"<@{BOT_USER_ID}> churn", event_id="Ev0ERR", ts="1767220000.9")
    wait_for(lambda: broken.slack.calls("chat.postMessage"), message="the error reply")
    [reply] = broken.slack.calls("chat.postMessage")
    assert reply.body["thread_ts"] == "1767220000.9"
    match = ERROR.match(reply.body["text"])
    assert match, reply.body
    assert SECRET_DETAIL not in str(reply.body)
    wait_for(lambda: any(match.group(1) in r.getMessage() for r in caplog.records))
    logged_ref(caplog, match.group(1))


def test_share_failure_tells_the_user_privately(broken: Running) -> None:
    broken.sender.action(ids.SHARE_ANSWER_ACTION, "customer_age", response_id="err-share")
    wait_for(lambda: broken.slack.responses("err-share"), message="the error message")
    [reply] = broken.slack.responses("err-share")
    assert ERROR.match(reply.body["text"])
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["replace_original"] is False
    assert broken.slack.calls("chat.postMessage") == []


def test_slack_failing_to_take_the_answer_is_reported_in_the_thread(bot: Running) -> None:
    bot.slack.fail_next("chat.postMessage", status=500)
    bot.sender.app_mention(f"<@{BOT_USER_ID}> churn", event_id="Ev0S500", ts="1767220000.8")
    wait_for(lambda: len(bot.slack.calls("chat.postMessage")) == 2, message="the error reply")
    answer, error = bot.slack.calls("chat.postMessage")
    assert "churn_model" in answer.body["text"]
    assert ERROR.match(error.body["text"])
    assert error.body["thread_ts"] == "1767220000.8"
