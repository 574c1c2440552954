"""How a contract kept its SLA lately, from the daily rollups (which outlive the checks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import CheckRollup
from ownership.requests.existing import OnTime

DAYS = 30


def on_time(session: Session, contract_id: str, now: datetime) -> OnTime:
    """Of the last 30 whole UTC days, those with an expected period, and of those the days
    with none late (today is still running: not counted)."""
    today = now.astimezone(UTC).date()
    since = today - timedelta(days=DAYS)
    rows = session.scalars(
        select(CheckRollup).where(
            CheckRollup.contract_id == contract_id,
            CheckRollup.day >= since,
            CheckRollup.day < today,
            CheckRollup.expected_periods > 0,
        )
    ).all()
    good = sum(1 for r in rows if r.late_periods == 0 and r.on_time_periods >= r.expected_periods)
    return OnTime(on_time_days=good, days=len(rows))
