"""Slack surfaces: subscriptions, webhook deliveries, Home viewers, digest posts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class Subscription(Base):
    """A person who asked to hear, by DM, when an asset's contract breaches or recovers, when
    it has an incident, and when a breaking change to it is announced."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "asset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    asset: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDelivery(Base):
    """One signed POST to an outgoing webhook, written with the change that causes it.

    `endpoint` names the configured webhook (its URL and secret stay in the settings, never
    here); delivery is retried with backoff until `sent` or, after the maximum attempts, `dead`.
    """

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, exactly as signed and sent
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class HomeViewer(Base):
    """Someone who opened the Home tab (last at `opened_at`): their tab is re-published, through
    the outbox, when a change concerns them."""

    __tablename__ = "home_viewers"

    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DigestPost(Base):
    """A team's weekly SLA digest, queued once: the key makes a second replica's insert fail."""

    __tablename__ = "digest_posts"

    team: Mapped[str] = mapped_column(String(200), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)  # the Monday of the week shown
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outbox_id: Mapped[int | None] = mapped_column(Integer)


# ---------------------------------------------------------------------- data requests (issue 17)
