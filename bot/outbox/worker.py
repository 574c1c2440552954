"""The worker that delivers outbox rows to Slack (guarantees: see the package docstring)."""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.outbox import store
from bot.outbox.enqueue import PENDING, POST_MESSAGE, SENDING, utc
from bot.outbox.reconcile import ChannelDirectory, find_posted, metadata
from bot.outbox.slack_call import Delivered, Outcome, Rejected, Retry, call, check_client

log = logging.getLogger(__name__)

MAX_EXPONENT = 30  # 2**30 s is far beyond any sensible max_backoff


class OutboxWorker:
    """Deliver due outbox rows: `deliver_due()` once, or `run(stop)` in a thread."""

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        *,
        clock: Callable[[], datetime],
        per_channel_interval: timedelta = timedelta(seconds=1),
        max_backoff: timedelta = timedelta(minutes=5),
        batch: int = 50,
        lease: timedelta = timedelta(minutes=2),
        rng: random.Random | None = None,
    ) -> None:
        check_client(client)
        self._engine = engine
        self._client = client
        self._clock = clock
        self._interval = per_channel_interval
        self._max_backoff = max_backoff
        self._batch = batch
        self._lease = lease
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._free_at: dict[str, datetime] = {}  # channel -> earliest next call (pacing)
        self._directory = ChannelDirectory(client)

    def _now(self) -> datetime:
        return utc(self._clock())

    # -- one round ---------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Send what is due now; the number of messages Slack accepted."""
        now = self._now()
        if released := store.release_stale(self._engine, now, self._lease):
            log.warning(
                "Outbox: %d message(s) stuck in sending past the lease; resending", released
            )
        held: set[str] = set()  # channels that had their turn (or must wait) this round
        delivered = 0
        for message in store.candidates(self._engine, now, self._batch):
            delivered += self._deliver(message, held)
        return delivered

    def _deliver(self, message: store.Queued, held: set[str]) -> int:
        plan = store.plan(self._engine, message)
        if isinstance(plan, store.Wait):
            return 0
        if isinstance(plan, store.Abandon):
            self._abandon(message, plan.reason)
            return 0
        channels = {plan.channel, message.channel}
        now = self._now()
        busy = bool(channels & held) or self._paced(plan.channel, now)
        held.update(channels)
        if busy or not store.claim(self._engine, message.id, now):
            return 0
        arguments = plan.arguments
        if message.method == POST_MESSAGE:
            if message.recovered:  # a worker died mid-send: does Slack have it already?
                found = find_posted(
                    self._client, self._directory, arguments, message.id, message.created_at or now
                )
                if found is not None:
                    store.mark_sent(
                        self._engine,
                        message,
                        channel=found[0],
                        ts=found[1],
                        now=now,
                        note=plan.note,
                    )
                    return 1
            arguments = {**arguments, "metadata": metadata(message.id)}
        outcome = call(self._client, message.method, arguments)
        done = self._now()
        self._free_at[plan.channel] = done + self._interval
        return self._record(message, plan, outcome, done)

    def _paced(self, channel: str, now: datetime) -> bool:
        free_at = self._free_at.get(channel)
        return free_at is not None and now < free_at

    # -- outcomes ----------------------------------------------------------------------------
    def _record(
        self, message: store.Queued, plan: store.Send, outcome: Outcome, now: datetime
    ) -> int:
        if isinstance(outcome, Delivered):
            store.mark_sent(
                self._engine,
                message,
                channel=outcome.channel,
                ts=outcome.ts,
                now=now,
                note=plan.note,
            )
            return 1
        if isinstance(outcome, Retry):
            self._retry(message, plan.channel, outcome, now)
            return 0
        self._reject(message, outcome)
        return 0

    def _retry(self, message: store.Queued, channel: str, outcome: Retry, now: datetime) -> None:
        attempts = message.attempts + 1  # the claim counted this attempt
        if outcome.retry_after is not None:  # the whole channel waits (FIFO holds it too)
            delay = outcome.retry_after
            self._free_at[channel] = max(self._free_at[channel], now + delay)
        else:
            delay = self.backoff(attempts)
        store.mark_retry(self._engine, message.id, at=now + delay, error=outcome.error)
        log.warning(
            "Outbox message %d to %s not delivered (attempt %d: %s); retry in %.1fs",
            message.id,
            channel,
            attempts,
            outcome.error,
            delay.total_seconds(),
        )

    def _reject(self, message: store.Queued, outcome: Rejected) -> None:
        store.mark_failed(self._engine, message.id, error=outcome.error, was=SENDING)
        log.error(
            "Outbox message %d (%s to %s) failed permanently: %s",
            message.id,
            message.method,
            message.channel,
            outcome.error,
        )

    def _abandon(self, message: store.Queued, reason: str) -> None:
        if store.mark_failed(self._engine, message.id, error=reason, was=PENDING):
            log.error(
                "Outbox message %d (%s to %s) failed: %s",
                message.id,
                message.method,
                message.channel,
                reason,
            )

    def backoff(self, attempts: int) -> timedelta:
        """2^attempts seconds capped at max_backoff, with equal jitter: in [half, full]."""
        seconds = 2.0 ** min(max(attempts, 0), MAX_EXPONENT)
        full = min(self._max_backoff, timedelta(seconds=seconds))
        return full / 2 + full / 2 * self._rng.random()

    # -- metrics and the loop ----------------------------------------------------------------
    def depth(self, now: datetime) -> tuple[int, timedelta | None]:
        """Messages not yet delivered (pending or being sent) and the age of the oldest."""
        return store.depth(self._engine, utc(now))

    def run(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Deliver until `stop` is set; an error is logged with a short ref, never fatal."""
        while not stop.is_set():
            try:
                self.deliver_due()
            except Exception:
                ref = secrets.token_hex(3)
                log.exception("Outbox delivery round failed (ref %s); continuing", ref)
            stop.wait(poll)
