"""Writing to the outbox, in the caller's transaction; the row statuses; UTC normalisation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.db.models import OutboxMessage

POST_MESSAGE = "chat.postMessage"
UPDATE = "chat.update"
PUBLISH_VIEW = "views.publish"  # channel: the user id; the view is rendered when it is sent
UPLOAD = "files.uploadV2"  # files.getUploadURLExternal + upload + files.completeUploadExternal
METHODS = frozenset({POST_MESSAGE, UPDATE, PUBLISH_VIEW, UPLOAD})

PENDING = "pending"  # waiting to be sent (maybe after next_attempt_at, maybe for its root)
SENDING = "sending"  # claimed by a worker; next_attempt_at holds the claim time
SENT = "sent"
FAILED = "failed"  # permanent Slack error; never retried
DEAD = "dead"  # dead letter: kept failing (or could not be read) while Slack worked; set aside
SUPERSEDED = "superseded"  # an edit replaced by a later edit of the same message before sending
STATUSES = (PENDING, SENDING, SENT, FAILED, DEAD, SUPERSEDED)

# Within a channel, lower priority numbers are delivered first (then oldest first): a new
# breach, a recovery or a reply must not wait behind routine edits of other alerts.
URGENT = 0
ROUTINE = 10

RESERVED_KEYS = frozenset({"channel", "ts", "thread_ts"})  # set by the worker


def utc(at: datetime) -> datetime:
    """An aware UTC datetime; naive values (SQLite gives those back) are taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def enqueue(
    session: Session,
    *,
    method: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    root_key: str | None = None,
    is_root: bool = False,
    in_thread: bool = False,
    priority: int | None = None,
) -> OutboxMessage:
    """Add a message to `session` (the caller's transaction, not committed here).

    `payload` holds `text` and optionally `blocks` (and other arguments of the Slack method,
    except `channel`, `ts` and `thread_ts`, which the worker sets). A `chat.update` edits the
    root message of `root_key`.

    `priority` orders delivery within a channel (lower first, see `URGENT`/`ROUTINE`); by
    default posts (roots, replies) are URGENT and edits ROUTINE. Pass URGENT for an edit that
    a person must see now (a recovery). Of several pending edits of one message only the
    latest is sent, with the most urgent priority among them.
    """
    _check(method=method, payload=payload, root_key=root_key, is_root=is_root, in_thread=in_thread)
    if priority is None:
        priority = default_priority(method)
    at = utc(now)
    message = OutboxMessage(
        created_at=at,
        method=method,
        channel=channel,
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        root_key=root_key,
        is_root=is_root,
        in_thread=in_thread,
        status=PENDING,
        attempts=0,
        next_attempt_at=at,
        priority=priority,
        failures=0,
    )
    session.add(message)
    return message


def default_priority(method: str) -> int:
    """Posts (new roots, replies) go before edits and view refreshes, which are routine unless
    told otherwise (a refresh waiting out its interval must not hold the person's DMs)."""
    return ROUTINE if method in (UPDATE, PUBLISH_VIEW) else URGENT


def _check(
    *, method: str, payload: dict[str, Any], root_key: str | None, is_root: bool, in_thread: bool
) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, not {method!r}")
    if not isinstance(payload.get("text"), str):
        raise ValueError("payload needs a 'text' string (the notification fallback)")
    if reserved := RESERVED_KEYS & payload.keys():
        raise ValueError(f"payload must not set {sorted(reserved)}: the worker sets them")
    needs_root = is_root or in_thread or method == UPDATE
    if needs_root and not root_key:
        raise ValueError("is_root, in_thread and chat.update need a root_key")
    if is_root and (in_thread or method != POST_MESSAGE):
        raise ValueError("a root is a chat.postMessage outside any thread")
    if method == PUBLISH_VIEW and (root_key or is_root or in_thread):
        raise ValueError("views.publish goes to a person, never into a thread")
    if in_thread and method != POST_MESSAGE:
        raise ValueError("in_thread applies to chat.postMessage only")
