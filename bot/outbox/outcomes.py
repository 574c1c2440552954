"""What the outbox worker does with a row after its Slack call, or instead of one: marks it
sent, retries it with backoff (or holds its channel, or its edits, on a rate limit), sets it
aside as a dead letter, fails it or abandons it. `OutboxWorker` inherits these."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.outbox import store
from bot.outbox.client import SlackClient
from bot.outbox.dead import mark_dead
from bot.outbox.enqueue import DEAD, PENDING, SENDING, UPDATE, utc
from bot.outbox.pacing import Pacer
from bot.outbox.slack_call import Delivered, Outcome, Rejected, Retry, slack_answers

log = logging.getLogger("bot.outbox.worker")  # it logs as the worker, whose part it is

MAX_EXPONENT = 30  # 2**30 s is far beyond any sensible max_backoff


@dataclass(frozen=True)
class Claimed:
    """A row this worker claimed and is about to send (under claim `token`)."""

    message: store.Queued
    plan: store.Send
    token: str
    confirmed: bool = False  # claimed with the fence checked, right before the call


class Outcomes:
    """The outcome half of `OutboxWorker` (which sets these attributes)."""

    _engine: Engine
    _client: SlackClient
    _clock: Callable[[], datetime]
    _pacer: Pacer
    _rng: random.Random
    _max_backoff: timedelta
    max_attempts: int
    admin_channel: str | None

    def _now(self) -> datetime:
        return utc(self._clock())

    def _record(self, claimed: Claimed, outcome: Outcome, now: datetime) -> int:
        message, plan = claimed.message, claimed.plan
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
            self._retry(claimed, outcome, now)
            return 0
        self._reject(message, outcome)
        return 0

    def _retry(self, claimed: Claimed, outcome: Retry, now: datetime) -> None:
        message, channel = claimed.message, claimed.plan.channel
        attempts = message.attempts + 1  # the claim counted this attempt
        failures = message.failures + (1 if outcome.counts else 0)
        if outcome.counts and failures >= self.max_attempts and slack_answers(self._client):
            tries = f"{attempts} attempt" + ("" if attempts == 1 else "s")
            self._dead(claimed, f"{outcome.error} (after {tries})", now)
            return
        if outcome.retry_after is not None and message.method == UPDATE:
            delay = outcome.retry_after  # edits wait (their tier is the workspace's), and
            self._pacer.hold_method(UPDATE, now + delay)  # this row holds its channel's edits
        elif outcome.retry_after is not None:  # the whole channel waits (FIFO holds it too)
            delay = outcome.retry_after
            self._pacer.hold(channel, now + delay)
        else:
            delay = self.backoff(attempts)
        store.mark_retry(
            self._engine,
            message.id,
            claimed.token,
            at=now + delay,
            error=outcome.error,
            counts=outcome.counts,
        )
        log.warning(
            "Outbox message %d to %s not delivered (attempt %d: %s); retry in %.1fs",
            message.id,
            channel,
            attempts,
            outcome.error,
            delay.total_seconds(),
        )

    def _dead(self, claimed: Claimed, error: str, now: datetime) -> None:
        message = claimed.message
        if mark_dead(
            self._engine,
            message.id,
            error=error,
            was=(SENDING,),
            token=claimed.token,
            now=now,
            admin_channel=self.admin_channel,
        ):
            log.error(
                "Outbox message %d (%s to %s) set aside as a dead letter: %s",
                message.id,
                message.method,
                message.channel,
                error,
            )

    def _unreadable(self, message_id: int) -> None:
        if mark_dead(
            self._engine,
            message_id,
            error=store.UNREADABLE,
            was=(PENDING,),
            now=self._now(),
            admin_channel=self.admin_channel,
        ):
            log.error(
                "Outbox message %d set aside as a dead letter: %s", message_id, store.UNREADABLE
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

    def _abandon(self, message: store.Queued, plan: store.Abandon) -> None:
        if plan.status == DEAD:  # its root is a dead letter (the admins were told)
            done = mark_dead(
                self._engine,
                message.id,
                error=plan.reason,
                was=(PENDING,),
                now=self._now(),
                admin_channel=None,
            )
        else:
            done = store.mark_failed(self._engine, message.id, error=plan.reason, was=PENDING)
        if done:
            log.error(
                "Outbox message %d (%s to %s) not sent: %s",
                message.id,
                message.method,
                message.channel,
                plan.reason,
            )

    def backoff(self, attempts: int) -> timedelta:
        """2^attempts seconds capped at max_backoff, with equal jitter: in [half, full]."""
        seconds = 2.0 ** min(max(attempts, 0), MAX_EXPONENT)
        full = min(self._max_backoff, timedelta(seconds=seconds))
        return full / 2 + full / 2 * self._rng.random()
