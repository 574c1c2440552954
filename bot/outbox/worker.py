"""The worker that delivers outbox rows to Slack (guarantees: see the package docstring);
what each call's outcome does to its row is in `bot.outbox.outcomes`."""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.db.leases import Fence
from bot.outbox import coalesce, store
from bot.outbox.client import SlackClient
from bot.outbox.enqueue import POST_MESSAGE, PUBLISH_VIEW, utc
from bot.outbox.outcomes import Claimed, Outcomes
from bot.outbox.pacing import Pacer
from bot.outbox.reconcile import ChannelDirectory, find_posted, metadata
from bot.outbox.rounds import InFlight, run_round
from bot.outbox.slack_call import Rejected, Retry, call, check_client

log = logging.getLogger(__name__)

# Failed attempts (while Slack answers) before a row is set aside; with the default backoff a
# bad row holds its channel for about a minute.
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_CONCURRENCY = 8  # Slack calls in flight at once, each to a different channel


class OutboxWorker(Outcomes):
    """Deliver due outbox rows: `deliver_due()` is one round (`bot.jobs.schedule` runs it).

    A round sends to up to `concurrency` channels at once, one call in flight per channel.
    With a `round_budget`, the round goes on for that long (on `clock`, waiting with `sleep`)
    and sends each channel's next row as soon as its interval has passed; without one it is
    a single pass: at most one call per channel, the caller moves the clock between rounds.
    """

    def __init__(
        self,
        engine: Engine,
        client: SlackClient,
        *,
        clock: Callable[[], datetime],
        per_channel_interval: timedelta = timedelta(seconds=1),
        max_backoff: timedelta = timedelta(minutes=5),
        batch: int = 50,
        lease: timedelta = timedelta(minutes=2),
        rng: random.Random | None = None,
        holder: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        admin_channel: str | None = None,
        concurrency: int = 1,  # serial unless asked (bootstrap: DEMARC_OUTBOX_CONCURRENCY)
        round_budget: timedelta = timedelta(0),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        check_client(client)
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._engine = engine
        self._client = client
        self._clock = clock
        self._interval = per_channel_interval
        self._max_backoff = max_backoff
        self._batch = batch
        self._lease = lease
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._pacer = Pacer(per_channel_interval)
        self.concurrency = concurrency
        self._round = round_budget
        self._sleep = sleep
        self._pool: ThreadPoolExecutor | None = None
        self._directory = ChannelDirectory(client)
        # Claims name their holder: a replica id lets others release them once its heartbeat
        # stops; a bare worker gets an id of its own (its claims end by expiry only).
        self.holder = holder or f"worker:{uuid.uuid4().hex[:12]}"
        self.max_attempts = max_attempts
        self.admin_channel = admin_channel  # told once about each dead letter
        # Renders a person's view for a `views.publish` row when it is sent (the composition
        # root sets it: the Home tab); without one such rows are rejected.
        self.views: Callable[[str], dict[str, Any]] | None = None

    # -- one round ---------------------------------------------------------------------------
    def deliver_due(self, fence: Fence | None = None) -> int:
        """Send what is due now (and, with a round budget, what falls due within it); the
        number of messages Slack accepted.

        With a `fence` (the outbox lease), every Slack call is made only after the database
        confirmed that the lease is still ours.
        """
        began = self._now()
        if released := store.release_stale(self._engine, began, self._lease):
            log.warning(
                "Outbox: %d message(s) stuck in sending past the lease; resending", released
            )
        coalesce.supersede_pending(self._engine)
        return run_round(
            began=began,
            deadline=began + self._round,
            concurrency=self.concurrency,
            dispatch=lambda in_flight: self._dispatch(fence, in_flight),
            next_free=lambda channels, now: self._pacer.next_free(channels, after=now),
            clock=self._now,
            sleep=self._sleep,
        )

    def _dispatch(self, fence: Fence | None, in_flight: InFlight) -> datetime | None:
        """One pass over the due rows: claim the next row of each free channel and start its
        send; when the earliest channel passed over for pacing is free again (None: none)."""
        now = self._now()
        held: set[str] = set()  # channels that had their turn (or must wait) this pass
        for message in store.candidates(self._engine, now, self._batch):
            if isinstance(message, int):
                self._unreadable(message)
                continue
            plan = self._turn(message, held)
            if plan is None:
                continue
            channels = {plan.channel, message.channel}
            if self.concurrency == 1:
                done: Future[int] = Future()
                done.set_result(self._claim_and_send(message, plan, fence))
                in_flight[done] = channels
            else:
                pool = self._executor()
                in_flight[pool.submit(self._claim_and_send, message, plan, fence)] = channels
        return self._pacer.next_free(held, after=now)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox-send")
        return self._pool

    def close(self) -> None:
        """Let the sending threads go (calls in flight finish on their own)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _send_guarded(self, claimed: Claimed, fence: Fence | None) -> int:
        """`send`, where anything unexpected (a reconciliation lookup that times out, an odd
        answer) counts as a failed attempt of this row instead of ending the round for all."""
        try:
            return self.send(claimed, fence)
        except Exception as error:
            ref = secrets.token_hex(3)
            log.exception("Outbox message %d: unexpected error (ref %s)", claimed.message.id, ref)
            self._retry(
                claimed, Retry(f"unexpected {type(error).__name__} (ref {ref})"), self._now()
            )
            return 0

    def take(self, message: store.Queued, held: set[str]) -> Claimed | None:
        """Claim `message` if it is its channel's turn; None if it waits (or was settled)."""
        plan = self._turn(message, held)
        claimed = None if plan is None else self._claim(message, plan)
        return None if claimed is None else replace(claimed, confirmed=False)  # sent later

    def _turn(self, message: store.Queued, held: set[str]) -> store.Send | None:
        """Its plan if it is `message`'s channel's turn (the channel is then marked in flight
        until the send ends); None if it waits (or was settled)."""
        now = self._now()
        if message.channel in held or not self._pacer.free([message.channel], now):
            held.add(message.channel)  # in flight or paced: no need to ask the database
            return None
        if not self._pacer.method_free(message.method, now):
            return None  # edits are held (their tier's 429); a post of its channel may go
        if store.supersede(self._engine, message) is not None:
            return None
        plan = store.plan(self._engine, message)
        if isinstance(plan, store.Wait):
            return None
        if isinstance(plan, store.Abandon):
            self._abandon(message, plan)
            return None
        channels = {plan.channel, message.channel}
        busy = bool(channels & held) or not self._pacer.take(channels, now)
        held.update(channels)
        return None if busy else plan

    def _claim(
        self, message: store.Queued, plan: store.Send, fence: Fence | None = None
    ) -> Claimed | None:
        """With a fence (or none needed) right before the call; without, the call confirms."""
        now = self._now()
        token = store.claim(self._engine, message.id, now, self.holder, fence)
        if token is None:
            self._pacer.done({plan.channel, message.channel})
            return None
        return Claimed(message, plan, token, confirmed=not message.recovered)

    def _claim_and_send(self, message: store.Queued, plan: store.Send, fence: Fence | None) -> int:
        """In a sending thread: the claim's transaction too runs beside the others."""
        try:
            claimed = self._claim(message, plan, fence)
        except Exception:
            self._pacer.done({plan.channel, message.channel})
            log.exception("Outbox message %d: could not claim it", message.id)
            return 0
        return 0 if claimed is None else self._send_guarded(claimed, fence)

    def send(self, claimed: Claimed, fence: Fence | None = None) -> int:
        """Make the Slack call for a claimed row (1 if Slack accepted it), unless the database
        says our claim or our lease was taken over meanwhile (a pause, a lost heartbeat)."""
        channels = {claimed.plan.channel, claimed.message.channel}
        try:
            return self._send(claimed, fence, channels)
        finally:
            self._pacer.done(channels)

    def _send(self, claimed: Claimed, fence: Fence | None, channels: set[str]) -> int:
        message, plan = claimed.message, claimed.plan
        now = self._now()
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
        elif message.method == PUBLISH_VIEW:
            view = self._view(message.channel)
            if view is None:
                self._reject(message, Rejected("no view to publish"))
                return 0
            arguments = {"channel": message.channel, "view": view}
        if not claimed.confirmed and not store.confirm(
            self._engine, message.id, claimed.token, fence
        ):
            log.warning(
                "Outbox message %d: another worker took over (lease or claim lost); not sending",
                message.id,
            )
            store.release(self._engine, message.id, claimed.token)  # never sent: no doubt
            return 0
        self._pacer.started(channels, self._now())
        outcome = call(self._client, message.method, arguments)
        return self._record(claimed, outcome, self._now())

    def _view(self, user_id: str) -> dict[str, Any] | None:
        """The view as it is now (a refresh shows the latest state, however late it is sent)."""
        if self.views is None:
            return None
        try:
            return self.views(user_id)
        except Exception:  # a missed refresh is mended by the next one or by opening the tab
            log.exception("Could not render the view of %s", user_id)
            return None

    # -- metrics ------------------------------------------------------------------------------
    def depth(self, now: datetime) -> tuple[int, timedelta | None]:
        """Messages not yet delivered (pending or being sent) and the age of the oldest."""
        return store.depth(self._engine, utc(now))
