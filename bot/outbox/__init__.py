"""The transactional outbox: Slack messages written with the change that causes them.

A Slack outage delays messages but loses none and sends none twice; a restart resumes delivery.

`enqueue` adds a row in the caller's transaction (it never commits): the message exists if and
only if the state change that causes it commits. `OutboxWorker` delivers the rows later.

Delivery guarantees
-------------------
* Nothing is lost. A row leaves `pending` only as `sent` (Slack answered ok, its `ts` is
  stored) or `failed` (Slack answered a permanent error such as `channel_not_found`; the
  error code is kept in `last_error` and logged once at ERROR). Outages, HTTP 5xx, timeouts,
  connection errors and rate limits keep it `pending` and it is retried, without limit, with
  exponential backoff and jitter (capped at `max_backoff`) or after Slack's `Retry-After`.
* Nothing is sent twice, with one exception. Before calling Slack a worker claims the row
  (`pending` -> `sending`, with the claim time in `next_attempt_at`) in its own short, committed
  transaction - on PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`, on both backends with an
  `UPDATE … WHERE status = 'pending'` whose row count says who won - so no other thread or
  process can take it; the outcome is committed after the call.
  THE ONE WINDOW: if the process dies, or the database is unreachable, after Slack accepted a
  message but before its outcome is committed, the row stays `sending`; once older than the
  lease (2 minutes) it goes back to `pending` and is sent again. This cannot be closed on our
  side: Slack has no idempotency key for `chat.postMessage`, so a resent call posts a second
  message, and not resending could lose one. (A WebClient's default ConnectionErrorRetryHandler
  can also repeat a call whose connection was reset after Slack received it; build the
  worker's client with `retry_handlers=[]` to leave all retrying to the worker.)
* Order: rows are delivered in id order within a channel. A row waits while an earlier row of
  its channel is being sent or is waiting for a retry (so an outage or a 429 holds the whole
  channel, durably and for every worker); rows of other channels are not held back.
* Threads: a row with `root_key` and `is_root` starts a thread; once delivered, its channel
  id and ts are stored in `slack_roots` in the same transaction as its `sent` status. Replies
  (`in_thread`) and edits (`chat.update`) with that key wait for that row (without counting an
  attempt, and without holding their channel). If the root has `failed`, a reply is posted
  without a thread and an edit is marked `failed`, `last_error` saying why.
* Pacing: at most one call per channel per `per_channel_interval` from one worker
  (`chat.postMessage` allows about one message per second per channel).
* Restart: all state is in the database; a new worker resumes where the old one stopped.

Use channel ids (not names) consistently: ordering and pacing are keyed on the channel string.
"""

from __future__ import annotations

from bot.outbox.enqueue import (
    FAILED,
    PENDING,
    POST_MESSAGE,
    SENDING,
    SENT,
    UPDATE,
    enqueue,
)
from bot.outbox.worker import OutboxWorker

__all__ = [
    "FAILED",
    "PENDING",
    "POST_MESSAGE",
    "SENDING",
    "SENT",
    "UPDATE",
    "OutboxWorker",
    "enqueue",
]
