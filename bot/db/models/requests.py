"""Data requests and their timelines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class DataRequest(Base):
    """A request for data (MLOps → Data Eng): its terms, its state, its thread, its PR.

    `terms` is the form as JSON (`bot.requests.terms`), replaced by each counter-proposal;
    `route` is who was asked in which role, as it was when the request was made.
    """

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    what: Mapped[str] = mapped_column(Text)
    consumer_team: Mapped[str] = mapped_column(String(200))
    accountable_team: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(40))
    terms: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)  # open|countered|accepted|…
    channel: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    pull_request: Mapped[str | None] = mapped_column(String(500))  # its URL, or the patch's path


class DataRequestEvent(Base):
    """A request's timeline: what happened, who did it (None: demarc itself), when."""

    __tablename__ = "data_request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
