"""Freshness: each contract's last state, its check history and alerts, silences, ETAs, rollups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class ContractStatus(Base):
    """The latest known state of each contract, and when it is due to be checked next."""

    __tablename__ = "contract_status"

    contract_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str | None] = mapped_column(String(64))
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claim_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(40))


class CheckResult(Base):
    """Every check ever run: the history behind `demarc status` and the metrics."""

    __tablename__ = "check_results"
    # "is there a newer check of this contract?" in one index probe (pruning keeps the latest)
    __table_args__ = (Index("ix_check_results_contract_id_id", "contract_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(20))
    period_key: Mapped[str | None] = mapped_column(String(64))
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late_by_seconds: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class Alert(Base):
    """One late-data alert per contract and period: its root message, its life, its links."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("contract_id", "period_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    period_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="late")  # late | check_failed
    status: Mapped[str] = mapped_column(String(20))  # open | recovered | silenced
    channel: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # reports
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_update: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recovered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late_by_seconds: Mapped[int | None] = mapped_column(Integer)
    affected: Mapped[str] = mapped_column(Text, default="")  # downstream contract ids, comma-sep
    caused_by_alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    incident_id: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # of the numbers shown
    root_digest: Mapped[str | None] = mapped_column(String(64))  # the root as last enqueued
    note_outbox_id: Mapped[int | None] = mapped_column(Integer)  # "also affected" reply queued
    note_names: Mapped[str | None] = mapped_column(Text)  # the contracts that reply names


class SilenceRow(Base):
    """A snooze set from Slack (registry silences live in YAML)."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset: Mapped[str] = mapped_column(String(200), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(40))


class EtaRow(Base):
    """An ETA the upstream responder gave on a late alert; the latest one of an alert counts."""

    __tablename__ = "etas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(Integer, index=True)
    contract_id: Mapped[str] = mapped_column(String(200), index=True)
    eta: Mapped[datetime] = mapped_column(UtcDateTime())
    given_by: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())
    missed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # re-paged then


class CheckRollup(Base):
    """One contract's checks of one UTC day, kept after the checks themselves are pruned
    (`bot.ops.rollup`; the columns are described in docs/retention.md)."""

    __tablename__ = "check_rollups"

    contract_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    expected_periods: Mapped[int] = mapped_column(Integer, default=0)
    on_time_periods: Mapped[int] = mapped_column(Integer, default=0)
    late_periods: Mapped[int] = mapped_column(Integer, default=0)
    downtime_minutes: Mapped[int] = mapped_column(Integer, default=0)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class MetricTotal(Base):
    """Counts folded out of history rows so /metrics need not scan them (`bot.ops.totals`):
    a counter's value up to a mark (`name` "mark" holds the marks themselves)."""

    __tablename__ = "metric_totals"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
