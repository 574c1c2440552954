"""DEMARC_WEBHOOKS and DEMARC_API_TOKEN are read and checked; signatures verify only intact."""

from __future__ import annotations

import json

import pytest

from bot.settings import Settings, SettingsError
from bot.settings_webhooks import WEBHOOK_EVENTS
from bot.webhooks.signing import sign, verify

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def settings(**env: str) -> Settings:
    return Settings.from_env({**BASE, **env})


def test_a_webhook_reads_its_secret_from_the_variable_it_names() -> None:
    hooks = json.dumps([{"name": "jira", "url": "https://jira.example.com/h",
                         "secret_env": "JIRA_SECRET", "events": ["incident.opened"]}])
    [target] = settings(DEMARC_WEBHOOKS=hooks, JIRA_SECRET="topsecret").webhooks
    assert (target.name, target.secret) == ("jira", "topsecret")
    assert target.events == ("incident.opened",)
    assert "topsecret" not in repr(target)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "must be a JSON list"),
        ('[{"name": "x", "url": "ftp://a", "secret_env": "S"}]', r"url must be an http\(s\) URL"),
        ('[{"name": "x", "url": "https://a/", "secret_env": "UNSET"}]', "must name a set"),
        ('[{"name": "x", "url": "https://a/", "secret_env": "S", "events": ["boom"]}]', "events"),
        ('[{"name": "X Y", "url": "https://a/", "secret_env": "S"}]', "name must be"),
    ],
)
def test_bad_webhooks_are_one_clear_error(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings(DEMARC_WEBHOOKS=value, S="secret")


def test_no_webhooks_and_no_api_token_by_default() -> None:
    plain = settings()
    assert plain.webhooks == ()
    assert plain.api_token is None
    assert len(WEBHOOK_EVENTS) == 6
    with pytest.raises(SettingsError, match="DEMARC_API_TOKEN must be at least 16"):
        settings(DEMARC_API_TOKEN="short")


def test_a_signature_verifies_only_for_the_same_body_secret_and_a_recent_time() -> None:
    body, now = b'{"type":"incident.opened"}', 1_767_225_600
    good = sign("k", now, body)
    assert verify("k", body, str(now), good, now + 10)
    assert not verify("k", body + b" ", str(now), good, now)
    assert not verify("other", body, str(now), good, now)
    assert not verify("k", body, str(now), good, now + 301)  # a replay
    assert not verify("k", body, None, good, now)
