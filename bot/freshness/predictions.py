"""Predicted downstream breaches: while an upstream contract is late, warn each downstream's
owner, once per period and before its deadline, when the upstream's delay plus the usual lag
on the lineage edges (median, from the landings the checks recorded) ends past that deadline.

A warning is an `alerts` row of kind `predicted` (key `predicted:<period>`, status `warned`),
never `open`: the breach itself, if it comes, folds into the upstream's alert as always.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.escape import user_mention, usergroup_mention
from bot.blocks.headsup import render_predicted
from bot.db.models import Alert, CheckResult, ContractStatus
from bot.freshness.roots import alert_channel
from bot.outbox import enqueue
from ownership.foresight import edges_below, median_lag, period_to_warn, project, will_miss
from ownership.model import Contract, Registry
from ownership.oncall import on_call
from ownership.sla import Evaluation, evaluate_deadline
from ownership.timeparse import format_duration

KIND = "predicted"
HISTORY = timedelta(days=30)  # landings the lags are computed from


def landings(
    session: Session, contract_ids: Iterable[str], now: datetime
) -> dict[str, list[datetime]]:
    """The distinct newest-update times the checks of these contracts saw lately."""
    found: dict[str, list[datetime]] = {}
    rows = session.execute(
        select(CheckResult.contract_id, CheckResult.last_update)
        .where(
            CheckResult.contract_id.in_(set(contract_ids)),
            CheckResult.checked_at >= now - HISTORY,
            CheckResult.last_update.is_not(None),
        )
        .distinct()
    )
    for cid, landed in rows:
        if landed is not None and landed <= now:
            found.setdefault(cid, []).append(landed)
    return found


def _tag(registry: Registry, contract: Contract, now: datetime) -> str | None:
    team = registry.teams.get(contract.owner_team)
    if team is None:
        return None
    person = on_call(team, now)
    mention = user_mention(person.slack_id) if person else None
    return mention or (usergroup_mention(team.usergroup.id) if team.usergroup else None)


def warn_downstream(
    session: Session,
    registry: Registry,
    upstream: Contract,
    evaluation: Evaluation,
    now: datetime,
    lands_at: datetime | None = None,
) -> list[str]:
    """Warn the downstreams the late `upstream` will likely make miss their deadlines (if it
    lands at `lands_at`, by default now); the contracts newly warned."""
    edges = edges_below(registry, upstream)
    if not edges:
        return []
    ids = {c.id for pair in edges for c in pair}
    seen = landings(session, ids, now)
    lags = {
        (u.id, d.id): lag
        for u, d in edges
        if (lag := median_lag(seen.get(u.id, []), seen.get(d.id, []))) is not None
    }
    projections = project(upstream, lands_at or now, edges, lags)
    if not projections:
        return []
    statuses = {
        s.contract_id: s
        for s in session.scalars(
            select(ContractStatus).where(ContractStatus.contract_id.in_(projections))
        )
    }
    warned = []
    for cid, projection in projections.items():
        down = registry.contracts.get(cid)
        status = statuses.get(cid)
        if down is None or down.sla is None:
            continue
        verdict = evaluate_deadline(down.sla, status.last_update if status else None, now)
        period = period_to_warn(down.sla, verdict)
        if period is None or not will_miss(period, projection.arrival, now):
            continue
        key = f"{KIND}:{period.key}"[:64]
        exists = session.scalars(
            select(Alert.id).where(Alert.contract_id == cid, Alert.period_key == key)
        ).first()
        channel = alert_channel(registry, down)
        if exists is not None or not channel:
            continue
        row = Alert(
            contract_id=cid, period_key=key, kind=KIND, status="warned", channel=channel,
            opened_at=now, deadline=period.deadline,
            window_start=period.window_start, affected=upstream.id,
        )  # fmt: skip
        session.add(row)
        session.flush()
        payload = render_predicted(
            cid,
            period.deadline,
            upstream.id,
            format_duration(evaluation.late_by or timedelta(0)),
            format_duration(projection.lag),
            _tag(registry, down, now),
            alert_channel(registry, upstream),
            now,
        )
        enqueue(session, method="chat.postMessage", channel=channel, now=now, payload=payload,
                root_key=f"{KIND}:{row.id}", is_root=True)  # fmt: skip
        warned.append(cid)
    return warned
