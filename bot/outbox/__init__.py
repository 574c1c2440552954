"""The transactional outbox: Slack messages written with the change that causes them.

A Slack outage delays messages but loses none and sends none twice; a restart resumes delivery.

`enqueue` adds a row in the caller's transaction (it never commits): the message exists if and
only if the state change that causes it commits. `OutboxWorker` delivers the rows later.

Delivery guarantees
-------------------
* Nothing is lost. A row leaves `pending` only as `sent` (Slack answered ok, its `ts` is
  stored), `failed` (Slack answered a permanent error such as `channel_not_found`; the error
  code is kept in `last_error` and logged once at ERROR), `superseded` (an edit replaced by a
  later edit of the same message) or `dead` (a dead letter, below). Outages, HTTP 5xx,
  timeouts, connection errors and rate limits keep it `pending` and it is retried with
  exponential backoff and jitter (capped at `max_backoff`) or after Slack's `Retry-After`.
* One bad row cannot hold its channel for good. After `max_attempts` failed attempts
  (`DEMARC_OUTBOX_MAX_ATTEMPTS`; rate limits do not count), and only if Slack answers
  `auth.test` at that moment (so an outage of Slack itself never dead-letters anything), the
  row becomes `dead`, with its error; a row whose payload cannot be read is dead at once. The
  admin channel is told once per dead letter, `demarc status` lists them and `/metrics` counts
  them. Replies to a dead root are posted outside a thread (noted in `last_error`); edits of a
  dead root are dead too ("root … undeliverable").
* Nothing is sent twice, with one exception. Before calling Slack a worker claims the row
  (`pending` -> `sending`, with its holder, a claim token and the database's time) in its own
  short, committed transaction - on PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`, on both
  backends with an `UPDATE … WHERE status = 'pending'` whose row count says who won - so no
  other thread or process can take it. Right before the call it confirms in the database, in
  one transaction, that the row is still under its claim and (given a `Fence`) that its outbox
  lease token is still current; a worker that was paused and lost either sends nothing.
  THE ONE WINDOW: if the process dies, or the database is unreachable, after Slack accepted a
  message but before its outcome is committed, the row stays `sending`; once its claim is
  older than the send lease (2 minutes, database clock), or its holder's heartbeat has
  stopped, it goes back to `pending`, is looked up in Slack by its metadata, and sent again if
  not found. Slack has no idempotency key for `chat.postMessage`, so this cannot be closed on
  our side; the same holds for a pause of longer than the send lease in the instant between
  the confirmation and the call. (A WebClient's default ConnectionErrorRetryHandler can also
  repeat a call whose connection was reset after Slack received it; build the worker's client
  with `retry_handlers=[]` to leave all retrying to the worker.)
* Order: within a channel rows are delivered by priority, then id: posts (new roots,
  replies) are URGENT, edits ROUTINE unless enqueued with another priority. A row waits while
  another row of its channel is being sent, or one ahead of it is waiting for a retry (so an
  outage or a 429 holds the channel, durably and for every worker); rows of other channels are
  not held back. Of several pending edits of one message only the latest is sent (it takes the
  most urgent priority among them).
* Threads: a row with `root_key` and `is_root` starts a thread; once delivered, its channel
  id and ts are stored in `slack_roots` in the same transaction as its `sent` status. Replies
  (`in_thread`) and edits (`chat.update`) with that key wait for that row (without counting an
  attempt, and without holding their channel). If the root has `failed`, a reply is posted
  without a thread and an edit is marked `failed`, `last_error` saying why.
* Pacing: at most one call per channel per `per_channel_interval` from one worker, counted
  from the start of each call (Slack allows about one message per second per channel; edits
  count too), and one call in flight per channel; up to `concurrency` channels at once
  (`bot.outbox.pacing`). A 429 to `chat.update` holds every edit for its `Retry-After` (that
  tier is the workspace's), not the channel's posts. With a `round_budget` a round goes on
  sending as channels come free. Pending edits of one message are superseded in bulk at the
  start of each round (`bot.outbox.coalesce`).
* Restart: all state is in the database; a new worker resumes where the old one stopped.

* Views: a `views.publish` row (`PUBLISH_VIEW`) carries a user id as its channel; the worker
  renders the view when it sends it (`OutboxWorker.views`), so the latest state is shown.
  Refreshes are routine and coalesced per person (`bot.outbox.home`).

Use channel ids (not names) consistently: ordering and pacing are keyed on the channel string.
"""

from __future__ import annotations

from bot.outbox.enqueue import (
    DEAD,
    FAILED,
    PENDING,
    POST_MESSAGE,
    PUBLISH_VIEW,
    ROUTINE,
    SENDING,
    SENT,
    SUPERSEDED,
    UPDATE,
    URGENT,
    enqueue,
)
from bot.outbox.worker import OutboxWorker

__all__ = [
    "DEAD",
    "FAILED",
    "PENDING",
    "POST_MESSAGE",
    "PUBLISH_VIEW",
    "ROUTINE",
    "SENDING",
    "SENT",
    "SUPERSEDED",
    "UPDATE",
    "URGENT",
    "OutboxWorker",
    "enqueue",
]
