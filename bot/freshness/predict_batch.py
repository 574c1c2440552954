"""What a still-late check does besides refreshing its alert, for a whole sweep's still-late
checks at once: warn the downstreams it will likely make miss (`predictions.warn_downstream`)
and re-page a missed ETA (`etas.check_missed`).

The per-contract path runs ~14 statements for that per late contract; here one query loads
the ETAs of every open alert of the batch, one the statuses of every contract below its
upstreams, one the `predicted:` warnings already standing for the periods at stake (the
lags come from the predictions' memo, a landings query only when a landing is new), and a
statement is written only for a warning or a re-page to post. The decisions are the same,
taken in the same (lineage) order, with what earlier ones wrote in view.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Alert, ContractStatus, EtaRow
from bot.freshness import etas as E
from bot.freshness import predictions as P
from bot.freshness.quiet import Checked, Quiet
from ownership.foresight import Projection
from ownership.model import Contract, Registry
from ownership.sla import Evaluation

log = logging.getLogger(__name__)

CHUNK = 500  # still-late checks per transaction


@dataclass(frozen=True)
class StillLate:
    """A check the sweep's batch recorded as still late, with its one open alert."""

    contract: Contract
    evaluation: Evaluation
    now: datetime
    alert: Alert
    cadence: timedelta  # how soon it is looked at again (`warn_downstream`'s `next_check`)


@dataclass(frozen=True)
class _Plan:
    """One upstream's projections, computed before anything is written."""

    item: StillLate
    eta: datetime | None
    projections: list[Projection]


def still_late(checked: Sequence[Checked], quiet: Mapping[str, Quiet]) -> list[StillLate]:
    """The checks the batch recorded as still late, in the sweep's (lineage) order: their
    follow-ups run before any per-contract path, as they did when those ran first."""
    return [
        StillLate(d.contract, d.evaluation, c.now, d.alert, d.cadence)
        for c in checked
        if (d := quiet.get(c.contract.id)) is not None and d.alert is not None
    ]


def follow_up_all(
    sessions: sessionmaker[Session],
    registry: Registry,
    items: Sequence[StillLate],
    probe: P.ProbeMany | None = None,
) -> None:
    """`follow_up` a chunk per transaction; a chunk that fails goes one check at a time, so
    one bad row loses no other contract's warning or re-page."""
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        try:
            with sessions.begin() as session:
                follow_up(session, registry, chunk, probe)
        except Exception as exc:
            log.warning("following up %d still-late checks at once failed: %s", len(chunk), exc)
            for item in chunk:
                try:
                    with sessions.begin() as session:
                        follow_up(session, registry, [item], probe)
                except Exception:
                    log.exception("following up the still-late %s failed", item.contract.id)


def follow_up(
    session: Session,
    registry: Registry,
    items: Sequence[StillLate],
    probe: P.ProbeMany | None = None,
) -> None:
    """For each still-late check, in order: its downstream warnings (a downstream probed before
    its first warning, `predictions.post_warnings`), then its missed ETA."""
    if not items:
        return
    ids = {i.contract.id for i in items}
    etas: list[tuple[EtaRow, str]] = [
        (row, cid)
        for row, cid in session.execute(
            select(EtaRow, Alert.contract_id)
            .join(Alert, Alert.id == EtaRow.alert_id)
            .where(
                Alert.status == "open",
                or_(EtaRow.contract_id.in_(ids), Alert.contract_id.in_(ids)),
            )
            .order_by(EtaRow.id.desc())
        )
    ]
    edges = {i.contract.id: found for i in items if (found := P.edges_for(registry, i.contract))}
    below = {c.id for found in edges.values() for pair in found for c in pair}
    statuses = P.load_statuses(session, below) if below else {}
    plans = [
        _plan(session, registry, i, etas, edges.get(i.contract.id, []), statuses) for i in items
    ]
    at_stake = [list(P.stake(registry, p.projections, statuses, p.item.now)) for p in plans]
    warned = P.standing_warnings(session, {(d.id, k) for s in at_stake for _, d, _, k in s})
    for plan, stakes in zip(plans, at_stake, strict=True):
        item = plan.item
        P.post_warnings(session, registry, item.contract, item.evaluation, item.now, plan.eta,
                        stakes, warned, probe)  # fmt: skip
        alert = plan.item.alert
        row = next((r for r, _ in etas if r.alert_id == alert.id), None)
        E.repage_missed(session, plan.item.contract, alert, row, plan.item.now)


def _plan(
    session: Session,
    registry: Registry,
    item: StillLate,
    etas: Sequence[tuple[EtaRow, str]],
    edges: list[tuple[Contract, Contract]],
    statuses: dict[str, ContractStatus],
) -> _Plan:
    """`warn_downstream`'s projections for one upstream (`_standing_eta`, `expectations`)."""
    upstream, now = item.contract, item.now
    eta = next((r.eta for r, _ in etas if r.contract_id == upstream.id), None)
    eta = eta if eta is not None and eta > now else None
    if not edges:
        return _Plan(item, eta, [])
    projections = P.landings_ahead(session, registry, upstream, eta, now, item.cadence, statuses)
    return _Plan(item, eta, projections)
