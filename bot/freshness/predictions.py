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
from bot.db.models import Alert, CheckResult, ContractStatus, EtaRow
from bot.freshness.roots import alert_channel
from bot.outbox import UPDATE, URGENT, enqueue
from ownership.foresight import (
    Projection,
    edges_below,
    median_lag,
    period_to_warn,
    project,
    will_miss,
)
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


def _standing_eta(session: Session, upstream_id: str, now: datetime) -> datetime | None:
    """The latest ETA given on the upstream's open late alert, while it is still ahead."""
    row = session.scalars(
        select(EtaRow)
        .join(Alert, Alert.id == EtaRow.alert_id)
        .where(EtaRow.contract_id == upstream_id, Alert.status == "open")
        .order_by(EtaRow.id.desc())
    ).first()
    return row.eta if row is not None and row.eta > now else None


def expectations(
    session: Session, registry: Registry, upstream: Contract, lands_at: datetime, now: datetime
) -> list[Projection]:
    """Each downstream's likely landing if `upstream` lands at `lands_at`."""
    edges = edges_below(registry, upstream)
    if not edges:
        return []
    seen = landings(session, {c.id for pair in edges for c in pair}, now)
    lags = {
        (u.id, d.id): lag
        for u, d in edges
        if (lag := median_lag(seen.get(u.id, []), seen.get(d.id, []))) is not None
    }
    return list(project(upstream, lands_at, edges, lags).values())


def warn_downstream(
    session: Session,
    registry: Registry,
    upstream: Contract,
    evaluation: Evaluation,
    now: datetime,
    eta: datetime | None = None,
) -> list[str]:
    """Warn the downstreams the late `upstream` will likely make miss their deadlines (if it
    lands now, or at its `eta`); the contracts newly warned. With an ETA, warnings already
    posted are edited to the new expected time."""
    if eta is None:
        eta = _standing_eta(session, upstream.id, now)
    projections = expectations(session, registry, upstream, eta or now, now)
    if not projections:
        return []
    ids = [p.contract for p in projections]
    statuses = {
        s.contract_id: s
        for s in session.scalars(select(ContractStatus).where(ContractStatus.contract_id.in_(ids)))
    }
    warned = []
    for projection in projections:
        cid = projection.contract
        down = registry.contracts.get(cid)
        status = statuses.get(cid)
        if down is None or down.sla is None:
            continue
        verdict = evaluate_deadline(down.sla, status.last_update if status else None, now)
        period = period_to_warn(down.sla, verdict)
        if period is None or now >= period.deadline:
            continue
        key = f"{KIND}:{period.key}"[:64]
        row = session.scalars(
            select(Alert).where(Alert.contract_id == cid, Alert.period_key == key)
        ).first()
        channel = alert_channel(registry, down)
        if not channel or (row is None and not will_miss(period, projection.arrival, now)):
            continue
        payload = render_predicted(
            cid,
            period.deadline,
            upstream.id,
            format_duration(evaluation.late_by or timedelta(0)),
            format_duration(projection.lag),
            _tag(registry, down, now),
            alert_channel(registry, upstream),
            now,
            eta=eta,
            expected=projection.arrival,
        )
        if row is not None:
            if eta is not None and row.status == "warned" and row.last_update != projection.arrival:
                row.last_update = projection.arrival
                enqueue(session, method=UPDATE, channel=row.channel, now=now, payload=payload,
                        root_key=f"{KIND}:{row.id}", priority=URGENT)  # fmt: skip
            continue
        row = Alert(
            contract_id=cid, period_key=key, kind=KIND, status="warned", channel=channel,
            opened_at=now, deadline=period.deadline, window_start=period.window_start,
            affected=upstream.id, last_update=projection.arrival,
        )  # fmt: skip
        session.add(row)
        session.flush()
        enqueue(session, method="chat.postMessage", channel=channel, now=now, payload=payload,
                root_key=f"{KIND}:{row.id}", is_root=True)  # fmt: skip
        warned.append(cid)
    return warned
