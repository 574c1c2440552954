"""One Slack Web API call, and what its answer means for the outbox row.

The WebClient must not retry rate limits itself (no RateLimitErrorRetryHandler): the worker
handles 429 so that one rate-limited channel does not stall the others.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.error import URLError

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.slack_response import SlackResponse

from bot.outbox.client import FileUploader, SlackClient, SlackReply
from bot.outbox.enqueue import PUBLISH_VIEW, UPDATE, UPLOAD

log = logging.getLogger(__name__)

# Errors Slack answers while it is unwell: retried with backoff. Every other `ok: false` code
# with a non-5xx status is permanent (`channel_not_found`, `invalid_blocks` …): a client error
# would otherwise be retried forever and hold its channel.
TRANSIENT_ERRORS = frozenset(
    {
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
RATE_LIMITED = "ratelimited"
MAX_ERROR_CHARS = 200
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")
_CODE = re.compile(r"[a-z0-9_.]{1,80}")


@dataclass(frozen=True)
class Delivered:
    channel: str  # the channel id Slack reports
    ts: str


@dataclass(frozen=True)
class Retry:
    error: str
    retry_after: timedelta | None = None  # None: exponential backoff
    counts: bool = True  # toward the dead-letter cap (a rate limit is Slack pacing us: no)


@dataclass(frozen=True)
class Rejected:
    error: str  # the Slack error code


Outcome = Delivered | Retry | Rejected


def check_client(client: SlackClient) -> None:
    """Refuse a client that would sleep on 429 itself, inside the worker's claim."""
    handlers = getattr(client, "retry_handlers", None) or []
    if any(isinstance(handler, RateLimitErrorRetryHandler) for handler in handlers):
        raise ValueError(
            "the outbox worker handles rate limits itself: build its WebClient "
            "without RateLimitErrorRetryHandler"
        )


def call(client: SlackClient, method: str, arguments: dict[str, Any]) -> Outcome:
    """Make the call; never raises for anything Slack or the network does."""
    try:
        response = _invoke(client, method, arguments)
    except SlackApiError as error:
        return classify(error.response)
    except (URLError, TimeoutError, OSError) as error:
        return Retry(short_error(f"{type(error).__name__}: {_reason(error)}"))
    except Exception as error:  # a bug or an odd answer: keep the row, retry later
        log.exception("Unexpected error calling Slack %s", method)
        return Retry(short_error(f"unexpected {type(error).__name__}"))
    channel = response.get("channel") or arguments["channel"]
    ts = response.get("ts") or arguments.get("ts") or ""
    return Delivered(channel=str(channel), ts=str(ts))


def slack_answers(client: SlackClient) -> bool:
    """Does Slack work at all right now (`auth.test`)? Tells a bad row from an outage."""
    try:
        return bool(client.auth_test().get("ok"))
    except Exception:  # an outage, a timeout, an odd answer: not proven up
        return False


def _invoke(client: SlackClient, method: str, arguments: dict[str, Any]) -> SlackReply:
    if method == UPDATE:
        return client.chat_update(**arguments)
    if method == PUBLISH_VIEW:
        return client.views_publish(user_id=arguments["channel"], view=arguments["view"])
    if method == UPLOAD:
        return upload(client, arguments)
    return client.chat_postMessage(**arguments)


def upload(client: SlackClient, arguments: dict[str, Any]) -> SlackReply:
    """A file with its message: `file_b64` bytes, `filename`, `title`, and `blocks` (or `text`)
    as the file's comment; slack_sdk makes Slack's three calls (get URL, upload, complete)."""
    args = dict(arguments)
    data = base64.b64decode(str(args.pop("file_b64")))
    blocks, text = args.pop("blocks", None), args.pop("text", None)
    comment: dict[str, Any] = (
        {"blocks": json.dumps(blocks)} if blocks else {"initial_comment": text or ""}
    )
    uploader = cast("FileUploader", client)
    return uploader.files_upload_v2(file=data, **args, **comment)


def classify(response: SlackResponse) -> Outcome:
    """A failed answer: rate limited, transient (retry with backoff) or permanent."""
    status = int(response.status_code)
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error") or f"http_{status}")
    if status == 429 or error == RATE_LIMITED:
        return Retry(f"{RATE_LIMITED} (HTTP {status})", retry_after(response.headers), False)
    if status >= 500 or error in TRANSIENT_ERRORS or not _CODE.fullmatch(error):
        return Retry(short_error(f"HTTP {status}: {error}"))
    return Rejected(short_error(error))


def retry_after(headers: Mapping[str, Any]) -> timedelta | None:
    """Slack's `Retry-After` (seconds), if present and sensible."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                seconds = float(value[0] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None
            return timedelta(seconds=seconds) if 0 <= seconds <= 24 * 3600 else None
    return None


def short_error(text: str) -> str:
    """One line, bounded, and never a token."""
    one_line = " ".join(_TOKEN.sub("xox?-…", text).split())
    return one_line[:MAX_ERROR_CHARS]


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None)
    return str(reason if reason is not None else error)
