"""Contract change notices and schema drift alerts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class ChangeNoticePost(Base):
    """A change notice's announcement or reminder: each is posted at most once, by any replica.

    `kind` is announce, remind-7 or remind-1; a reminder that became due while an earlier
    message was still to be sent is recorded with `posted` false instead of being sent late.
    """

    __tablename__ = "change_notice_posts"
    __table_args__ = (UniqueConstraint("notice_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(100))
    effective: Mapped[date] = mapped_column(Date)
    posted: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SchemaDriftAlert(Base):
    """A live table that no longer matches its contract's schema, from detection to fix.

    `open_key` is the contract id while the alert is open and NULL once resolved: the unique
    constraint lets every replica race to open it and only one win.
    """

    __tablename__ = "schema_drift_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # open | resolved
    signature: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # the drifts in words, one per line
    table_name: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(100))
    consumer_channels: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
