"""Data quality: alerts, results and each check's status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class QualityAlert(Base):
    """One data quality breach per contract, period and check: its root message, its life.

    `caused_by_id` folds a downstream breach into the open alert of an upstream contract.
    """

    __tablename__ = "quality_alerts"
    __table_args__ = (UniqueConstraint("contract_id", "period_key", "check_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    period_key: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | resolved
    channel: Mapped[str] = mapped_column(String(100))
    consumer_channels: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    detail: Mapped[str] = mapped_column(Text)  # the verdict in words, as last shown
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    caused_by_id: Mapped[int | None] = mapped_column(ForeignKey("quality_alerts.id"))
    # folded under an upstream's late-data alert (`alerts.id`; migration 0019, no FK)
    caused_by_late_id: Mapped[int | None] = mapped_column(Integer)


class QualityResult(Base):
    """Every quality check run: the history behind the volume trend and `demarc status`."""

    __tablename__ = "quality_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    period_key: Mapped[str] = mapped_column(String(64))
    check_id: Mapped[str] = mapped_column(String(200))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(20))  # passed | failed | check_failed
    value: Mapped[float | None] = mapped_column(Float)
    rows: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")


class QualityStatus(Base):
    """The latest quality sweep of each contract: which period and which data it read."""

    __tablename__ = "quality_status"

    contract_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(64))
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(20))  # passed | failed | check_failed
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failing: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")  # the failures, one per line


# ---------------------------------------------------------------------- on-call (issue 15)
