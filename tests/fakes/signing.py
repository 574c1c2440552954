"""Requests as Slack sends them: signed per Slack's spec, in each surface's wire format.

Signature: "v0=" + hex HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}"), with the
timestamp in X-Slack-Request-Timestamp and the signature in X-Slack-Signature.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import httpx

TEAM_ID = "T0TESTTEAM"
USER_ID = "U0ASKER001"
CHANNEL_ID = "C0GENERAL1"
BOT_USER_ID = "U0DEMARCBT"


def signature(secret: str, timestamp: int | str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: str, timestamp: int | str) -> dict[str, str]:
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature(secret, timestamp, body),
    }


def command_body(
    text: str,
    *,
    response_url: str,
    command: str = "/whoowns",
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "asker",
            "command": command,
            "text": text,
            "api_app_id": "A0DEMARC01",
            "response_url": response_url,
            "trigger_id": "1111.2222.trigger",
        }
    )


def event_body(event: dict[str, Any], *, event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0DEMARC01",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authed_users": [BOT_USER_ID],
        }
    )


def action_body(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    message_ts: str = "1767225600.000001",
    is_ephemeral: bool = True,
) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "asker", "name": "asker", "team_id": TEAM_ID},
        "api_app_id": "A0DEMARC01",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": "1111.2222.trigger",
        "team": {"id": TEAM_ID, "domain": "test"},
        "channel": {"id": channel_id, "name": "general"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "type": "button",
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": value,
                "action_ts": "1767225601.000001",
            }
        ],
    }
    return "payload=" + quote(json.dumps(payload))


def options_body(action_id: str, value: str) -> str:
    """A block_suggestion (an external select asking for its options)."""
    payload = {
        "type": "block_suggestion",
        "user": {"id": USER_ID, "username": "asker", "name": "asker", "team_id": TEAM_ID},
        "container": {"type": "message", "message_ts": "1767225600.000001"},
        "api_app_id": "A0DEMARC01",
        "token": "legacy-verification-token",
        "action_id": action_id,
        "block_id": "b1",
        "value": value,
        "team": {"id": TEAM_ID, "domain": "test"},
        "channel": {"id": CHANNEL_ID, "name": "general"},
    }
    return "payload=" + quote(json.dumps(payload))


def view_submission_body(
    callback_id: str,
    *,
    values: dict[str, Any],
    private_metadata: str = "",
    response_url: str | None = None,
    view_id: str = "V0MODAL001",
) -> str:
    """A modal's submission (with `response_urls` when the modal asked for one)."""
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": USER_ID, "username": "asker", "name": "asker", "team_id": TEAM_ID},
        "api_app_id": "A0DEMARC01",
        "token": "legacy-verification-token",
        "trigger_id": "1111.2222.trigger",
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
        },
    }
    if response_url is not None:
        payload["response_urls"] = [
            {"block_id": "b1", "action_id": "a1", "channel_id": CHANNEL_ID,
             "response_url": response_url}
        ]
    return "payload=" + quote(json.dumps(payload))


class FakeSlackSender:
    """Plays Slack's side of the Events API: posts signed requests to the app's endpoint."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        secret: str,
        *,
        response_url: Callable[[str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._url, self._secret = client, url, secret
        self._response_url = response_url
        self._clock = clock
        self._ts = itertools.count(1)

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        secret: str | None = None,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST `body` signed with `secret` (default: the right one) at `timestamp`."""
        ts = int(self._clock()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(signed_headers(secret or self._secret, body, ts))
        all_headers.update(headers or {})
        return self._client.post(self._url, content=body.encode(), headers=all_headers)

    def command(self, text: str, *, response_id: str = "cmd", **kwargs: Any) -> httpx.Response:
        body = command_body(text, response_url=self._response_url(response_id))
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def app_mention(
        self,
        text: str,
        *,
        event_id: str,
        channel: str = CHANNEL_ID,
        ts: str | None = None,
        thread_ts: str | None = None,
        retry_num: int | None = None,
    ) -> httpx.Response:
        event = {
            "type": "app_mention",
            "user": USER_ID,
            "text": text,
            "team": TEAM_ID,
            "channel": channel,
            "ts": ts or self.next_ts(),
            "event_ts": ts or "0",
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return self.event(event, event_id=event_id, retry_num=retry_num)

    def event(
        self, event: dict[str, Any], *, event_id: str, retry_num: int | None = None
    ) -> httpx.Response:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(event_body(event, event_id=event_id), "application/json", headers=headers)

    def action(
        self, action_id: str, value: str, *, response_id: str = "action", **kwargs: Any
    ) -> httpx.Response:
        body = action_body(action_id, value, response_url=self._response_url(response_id), **kwargs)
        return self.post(body, "application/x-www-form-urlencoded")

    def next_ts(self) -> str:
        n = next(self._ts)
        return f"1767220000.{n:06d}"
