"""On-call: pages, overrides taken in Slack, handoff state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, UtcDateTime


class OncallPage(Base):
    """A person pressed "Page … on-call" on an answer (and confirmed): who, whom, about what."""

    __tablename__ = "oncall_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(200), index=True)
    paged: Mapped[str] = mapped_column(String(200))  # the on-call's key (Slack id, email, name)
    asked_by: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(300), default="")
    from_channel: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(100))  # where the page went
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OncallOverride(Base):
    """A shift taken from Slack (`/oncall take`): `person` covers `team_id` in [start, end)."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(200), index=True)
    person: Mapped[str] = mapped_column(String(200))  # a member's key (Slack id, email, name)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OncallState(Base):
    """What the on-call sync last did: `usergroup:<id>` → its users, `handoff:<team>` → the
    shift last announced. The sync compares against these, so each change happens once."""

    __tablename__ = "oncall_state"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
