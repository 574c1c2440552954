"""Delivery and coordination: the outbox, Slack roots, processed events, leases, replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class ProcessedEvent(Base):
    """Slack event ids already handled: Slack retries deliveries, Bolt does not dedupe them."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class OutboxMessage(Base):
    """A Slack call to make, written in the same transaction as the change that causes it.

    A message with `root_key` and `is_root` starts a thread (an alert, an incident); messages
    with the same `root_key` and `in_thread` reply in it, and `chat.update` ones edit it. They
    wait until the root has been delivered and its ts is known (table `slack_roots`).
    """

    __tablename__ = "outbox"
    # each channel's queue in delivery order (`bot.outbox.store`; migration 0014)
    __table_args__ = (Index("ix_outbox_queue", "channel", "status", "priority", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # pruning's order
    method: Mapped[str] = mapped_column(String(40))  # chat.postMessage | chat.update
    channel: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON: text, blocks
    root_key: Mapped[str | None] = mapped_column(String(80), index=True)
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    in_thread: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ts: Mapped[str | None] = mapped_column(String(40))
    # Lower goes first within a channel: new roots, recoveries and replies before routine edits.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Failed attempts that count toward the dead-letter cap (rate limits do not).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The claim of a row being sent: which replica, since when (database clock), which claim.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))


class SlackRoot(Base):
    """Where a thread's root message landed, once delivered: `alert:12` -> channel id, ts."""

    __tablename__ = "slack_roots"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    ts: Mapped[str] = mapped_column(String(40))


class Lease(Base):
    """A named lease ("outbox", "timers") one replica holds at a time; `token` fences it."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    token: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Replica(Base):
    """Running `demarc serve` processes and their heartbeats."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
