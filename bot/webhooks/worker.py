"""Delivering webhook rows: claim, sign, POST, and record the outcome, each row on its own.

A row is claimed by a conditional UPDATE (pending -> sending, with a token), so replicas never
send one row at the same time; a claim older than the lease (a worker died mid-send) goes
back to pending. A 2xx answer is `sent`; anything else (an error status, a timeout, a refused
connection) is retried with exponential backoff and jitter, and after `max_attempts` the row
is `dead`: kept with its last error, logged, and the admin channel told. A receiver may see a
delivery twice (it dies after the POST): dedupe on X-Demarc-Delivery.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.blocks.escape import code
from bot.db.models import WebhookDelivery
from bot.db.rows import rowcount
from bot.outbox.enqueue import POST_MESSAGE, enqueue, utc
from bot.settings_webhooks import WebhookTarget
from bot.webhooks.events import PENDING
from bot.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, signed_headers

log = logging.getLogger(__name__)
SENDING, SENT, DEAD = "sending", "sent", "dead"
MAX_ERROR = 200


class WebhookWorker:
    """`deliver_due()` is one round (`bot.jobs.schedule` runs it every second)."""

    def __init__(
        self,
        engine: Engine,
        targets: tuple[WebhookTarget, ...],
        *,
        clock: Callable[[], datetime],
        max_attempts: int = 6,
        max_backoff: timedelta = timedelta(minutes=5),
        lease: timedelta = timedelta(minutes=2),
        timeout: float = 10.0,
        batch: int = 20,
        admin_channel: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.targets = {t.name: t for t in targets}
        self.clock = clock
        self.max_attempts = max_attempts
        self.max_backoff = max_backoff
        self.lease = lease
        self.batch = batch
        self.admin_channel = admin_channel
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def deliver_due(self) -> int:
        """Send what is due; how many receivers answered 2xx."""
        if not self.targets:
            return 0
        now = utc(self.clock())
        self._release_stale(now)
        with Session(self.engine) as session:
            due = list(
                session.scalars(
                    select(WebhookDelivery.id)
                    .where(
                        WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now
                    )
                    .order_by(WebhookDelivery.id)
                    .limit(self.batch)
                )
            )
        return sum(self._deliver(row_id) for row_id in due)

    def _deliver(self, row_id: int) -> int:
        token = uuid.uuid4().hex
        now = utc(self.clock())
        with Session(self.engine) as session, session.begin():
            claimed = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row_id, WebhookDelivery.status == PENDING)
                .values(status=SENDING, claim_token=token, claimed_at=now,
                        attempts=WebhookDelivery.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if rowcount(claimed) != 1:
                return 0  # another replica has it
            row = session.get(WebhookDelivery, row_id)
            assert row is not None
            endpoint, event, payload, attempts = row.endpoint, row.event, row.payload, row.attempts
        target = self.targets.get(endpoint)
        if target is None:
            self._finish(row_id, token, attempts, f"webhook {endpoint!r} is no longer configured",
                         dead=True)
            return 0
        error = self._post(target, row_id, event, payload.encode("utf-8"))
        if error is None:
            self._finish(row_id, token, attempts, None)
            return 1
        self._finish(row_id, token, attempts, error, dead=attempts >= self.max_attempts)
        return 0

    def _post(self, target: WebhookTarget, row_id: int, event: str, body: bytes) -> str | None:
        """None when the receiver answered 2xx, else what went wrong (one short line)."""
        timestamp = int(utc(self.clock()).timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "demarc-webhooks/1",
            EVENT_HEADER: event,
            DELIVERY_HEADER: str(row_id),
            **signed_headers(target.secret, timestamp, body),
        }
        try:
            response = self._http.post(target.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def _finish(
        self, row_id: int, token: str, attempts: int, error: str | None, *, dead: bool = False
    ) -> None:
        now = utc(self.clock())
        if error is None:
            values: dict[str, object] = {"status": SENT, "sent_at": now, "last_error": None}
        elif dead:
            values = {"status": DEAD, "last_error": f"{error} (after {attempts} attempts)"}
        else:
            values = {"status": PENDING, "last_error": error,
                      "next_attempt_at": now + self.backoff(attempts)}
        with Session(self.engine) as session, session.begin():
            done = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row_id, WebhookDelivery.claim_token == token)
                .values(claim_token=None, claimed_at=None, **values)
                .execution_options(synchronize_session=False)
            )
            if dead and rowcount(done) == 1:
                log.error("Webhook delivery %d set aside as a dead letter: %s", row_id, error)
                if self.admin_channel:
                    enqueue(
                        session,
                        method=POST_MESSAGE,
                        channel=self.admin_channel,
                        payload={"text": f":warning: Webhook delivery {row_id} gave up: "
                                         f"{code(error or '')} after {attempts} attempts."},
                        now=now,
                    )
            elif error is not None:
                log.warning("Webhook delivery %d failed (attempt %d): %s", row_id, attempts,
                            error)

    def _release_stale(self, now: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.status == SENDING,
                       WebhookDelivery.claimed_at <= now - self.lease)
                .values(status=PENDING, claim_token=None, claimed_at=None,
                        last_error="claim expired mid-send; sending again")
                .execution_options(synchronize_session=False)
            )

    def backoff(self, attempts: int) -> timedelta:
        """2^attempts seconds capped at max_backoff, with equal jitter."""
        full = min(self.max_backoff, timedelta(seconds=2.0 ** min(max(attempts, 0), 30)))
        return full / 2 + full / 2 * self._rng.random()
