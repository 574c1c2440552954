"""After a worker died between calling Slack and recording it, find out whether Slack got it.

Every posted message carries Slack message metadata `demarc_outbox` with its outbox id. A row
released from a dead worker's claim is looked up in the channel's history (or the thread's
replies) before it is sent again, so a crash does not page anyone twice. When Slack can't be
asked (missing scope, unknown channel), the message is sent again: a duplicate beats a loss.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.outbox.client import SlackClient

log = logging.getLogger(__name__)
EVENT_TYPE = "demarc_outbox"
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
LOOKBACK = timedelta(minutes=5)


def metadata(outbox_id: int) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": outbox_id}}


class ChannelDirectory:
    """`#name` → channel id, from conversations.list, cached for the worker's life."""

    def __init__(self, client: SlackClient) -> None:
        self.client = client
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def resolve(self, channel: str) -> str | None:
        if CHANNEL_ID.match(channel):
            return channel
        name = channel.lstrip("#")
        with self._lock:
            if name in self._ids:
                return self._ids[name]
            cursor = None
            for _ in range(50):  # at most 50 pages of 200 channels
                page = self.client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
                for found in page.get("channels") or []:
                    self._ids[str(found.get("name"))] = str(found.get("id"))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if name in self._ids or not cursor:
                    break
            return self._ids.get(name)


def find_posted(
    client: SlackClient,
    directory: ChannelDirectory,
    arguments: dict[str, Any],
    outbox_id: int,
    since: datetime,
) -> tuple[str, str] | None:
    """(channel id, ts) of the message Slack already has for `outbox_id`, else None."""
    try:
        channel = directory.resolve(str(arguments["channel"]))
        if channel is None:
            return None
        oldest = f"{(since - LOOKBACK).timestamp():.6f}"
        if arguments.get("thread_ts"):
            page = client.conversations_replies(
                channel=channel,
                ts=arguments["thread_ts"],
                oldest=oldest,
                include_all_metadata=True,
                limit=200,
            )
        else:
            page = client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
    except SlackApiError as error:
        log.warning(
            "cannot check whether outbox message %s was posted (%s); sending it again",
            outbox_id,
            error.response.get("error"),
        )
        return None
    for message in page.get("messages") or []:
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == EVENT_TYPE and payload.get("outbox_id") == outbox_id:
            return channel, str(message.get("ts"))
    return None
