"""Incidents, their timelines and linked alerts."""

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


class Incident(Base):
    """An incident on one asset: its state, its timers, and the RACI plan it was opened with.

    `plan` is the fan-out as JSON (`ownership.incident_plan.IncidentPlan`): who was tagged and
    why, kept as it was at opening even if the registry or the on-call rotation moves on.
    `next_escalation_at` / `next_reminder_at` are the timers the due-timers job fires.
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset: Mapped[str] = mapped_column(String(200), index=True)
    summary: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))  # sev1 | sev2 | sev3
    opened_severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open|acknowledged|escalated|…
    channel: Mapped[str] = mapped_column(String(100))  # the incident channel, as configured
    plan: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # reports
    opened_by: Mapped[str | None] = mapped_column(String(40))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_by: Mapped[str | None] = mapped_column(String(40))  # None: by the timer
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolution_reason: Mapped[str | None] = mapped_column(String(20))  # ownership.reports
    boundary_side: Mapped[str | None] = mapped_column(String(20))
    next_escalation_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))  # opened from it


class OpenIncident(Base):
    """One row per asset with an unresolved incident: the database refuses a second one."""

    __tablename__ = "open_incidents"

    asset: Mapped[str] = mapped_column(String(200), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)


class IncidentEvent(Base):
    """The incident's timeline: what happened, who did it (None: demarc itself), when."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")  # plain text, escaped when shown


class IncidentAlert(Base):
    """Late-data alerts linked to an incident (an alert's own `incident_id` is the first)."""

    __tablename__ = "incident_alerts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())
