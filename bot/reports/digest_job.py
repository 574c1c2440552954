"""The weekly SLA digest: each team's, once across replicas, in its channel through the outbox.

One replica at a time works (the `digest` lease); each team's digest is queued in one
transaction with its `digest_posts` row, keyed (team, week), after confirming the lease's
fence: a second replica, or a second run, finds the row and queues nothing. The message and
the chart go together as one `files.uploadV2` outbox row (the blocks are the file's comment).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.blocks.digest import OpenIncidentLine, digest_text, render_digest
from bot.db.leases import LeaseKeeper
from bot.db.models import DigestPost, Incident
from bot.outbox.enqueue import ROUTINE, UPLOAD, enqueue
from bot.reports.chart import on_time_chart
from bot.reports.read import read_report
from ownership.model import Registry, Team
from ownership.reports.digest_time import DigestSchedule, chart_weeks, due_week, week_label
from ownership.reports.windows import Window

log = logging.getLogger(__name__)
CHART_WEEKS = 6


@dataclass
class DigestJob:
    engine: Engine
    registry: Callable[[], Registry]
    schedule: DigestSchedule
    replica_id: str
    clock: Callable[[], datetime]
    lease: LeaseKeeper = field(init=False)

    def __post_init__(self) -> None:
        self.lease = LeaseKeeper(self.engine, "digest", self.replica_id, ttl=timedelta(minutes=2))

    def release(self) -> None:
        self.lease.release()

    def run_once(self) -> int:
        """Queue the digests due and not queued yet; how many this run queued."""
        now = self.clock()
        week = due_week(now, self.schedule)
        if week is None or self.lease.acquire() is None:
            return 0
        fence = self.lease.fence()
        registry = self.registry()
        queued = 0
        for team in sorted(registry.teams.values(), key=lambda t: t.id):
            if not team.oncall_channel or fence is None:
                continue
            with Session(self.engine) as session:
                if session.get(DigestPost, (team.id, week.since)) is not None:
                    continue
                payload = self._payload(session, registry, team, week, now)
            try:
                with Session(self.engine) as session, session.begin():
                    if not fence.confirm(session):
                        return queued  # another replica holds the lease now
                    row = enqueue(session, method=UPLOAD, channel=team.oncall_channel,
                                  payload=payload, now=now, priority=ROUTINE)
                    session.flush()
                    session.add(DigestPost(team=team.id, week=week.since, queued_at=now,
                                           outbox_id=row.id))
            except IntegrityError:
                continue  # queued by someone else meanwhile
            queued += 1
        return queued

    def _payload(
        self, session: Session, registry: Registry, team: Team, week: Window, now: datetime
    ) -> dict[str, object]:
        report = read_report(session, registry, week, now, team.id)
        [figures] = [t for t in report.teams if t.team == team.id]
        owned = [c for c in report.contracts if c.owner_team == team.id]
        label = week_label(week)
        series: dict[str, list[float | None]] = {c.contract_id: [] for c in owned}
        weeks = chart_weeks(week, CHART_WEEKS)
        for past in weeks:
            past_report = read_report(session, registry, past, now, team.id)
            for c in past_report.contracts:
                if c.contract_id in series:
                    series[c.contract_id].append(c.periods.on_time_pct)
        png = on_time_chart([w.since for w in weeks], series, f"{team.name}: on time per week")
        return {
            "text": digest_text(team.name, label, figures),
            "blocks": render_digest(team.name, label, figures, owned,
                                    _open_incidents(session, registry, team)),
            "file_b64": base64.b64encode(png).decode("ascii"),
            "filename": f"sla-{team.id}-{label}.png",
            "title": f"{team.name}: on time per week to {label}",
        }


def _open_incidents(session: Session, registry: Registry, team: Team) -> list[OpenIncidentLine]:
    assets = sorted({c.asset for c in registry.contracts.values() if c.owner_team == team.id})
    if not assets:
        return []
    rows = session.scalars(
        select(Incident)
        .where(Incident.resolved_at.is_(None), Incident.asset.in_(assets))
        .order_by(Incident.id)
    )
    return [OpenIncidentLine(i.id, i.asset, i.summary) for i in rows]
