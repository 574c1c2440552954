"""Predicted downstream breaches: while an upstream contract is late, warn each downstream's
owner, once per period and before its deadline, when the upstream's delay plus the usual lag
on the lineage edges (median, from the landings the checks recorded) ends past that deadline.

A warning is an `alerts` row of kind `predicted` (key `predicted:<period>`, status `warned`),
never `open`: the breach itself, if it comes, folds into the upstream's alert as always.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.escape import user_mention, usergroup_mention
from bot.blocks.headsup import render_predicted
from bot.db.models import Alert, CheckResult, ContractStatus, EtaRow
from bot.freshness.roots import alert_channel
from bot.outbox import UPDATE, URGENT, enqueue
from bot.probes import ProbeResult
from ownership.foresight import (
    Projection,
    edges_below,
    follow_lag,
    period_to_warn,
    project,
    usual_offset,
    will_miss,
)
from ownership.lineage import walk
from ownership.model import Contract, DeadlineSla, Probe, Registry
from ownership.oncall import on_call
from ownership.periods import Period
from ownership.sla import Evaluation, FreshnessState, evaluate_deadline
from ownership.timeparse import format_duration

KIND = "predicted"
HISTORY = timedelta(days=30)  # landings the lags are computed from
ProbeMany = Callable[[list[tuple[str, Probe]]], dict[str, ProbeResult]]


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


@dataclass
class _Memo:
    """Per database: each edge's follow lag and each contract's usual offset, keyed by the
    newest landings they were computed from (and the day, as the 30-day window slides)."""

    lags: dict[tuple[str, str], tuple[object, timedelta | None]] = field(default_factory=dict)
    offsets: dict[str, tuple[object, timedelta | None]] = field(default_factory=dict)


_MEMO: WeakKeyDictionary[object, _Memo] = WeakKeyDictionary()
queries = 0  # landings queries run (B5 and the tests read it: a storm must not run one each)


def _memo(session: Session) -> _Memo:
    bind = session.get_bind()
    memo = _MEMO.get(bind)
    if memo is None:
        memo = _MEMO[bind] = _Memo()
    return memo


def load_statuses(session: Session, ids: Iterable[str]) -> dict[str, ContractStatus]:
    return {
        s.contract_id: s
        for s in session.scalars(
            select(ContractStatus).where(ContractStatus.contract_id.in_(set(ids)))
        )
    }


def _history(
    session: Session,
    registry: Registry,
    edges: list[tuple[Contract, Contract]],
    statuses: dict[str, ContractStatus],
    now: datetime,
) -> tuple[dict[tuple[str, str], timedelta], dict[str, timedelta]]:
    """The follow lag of each edge and the usual offset of each deadline-SLA downstream: from
    the memo while no newer landing was recorded, else from one landings query for all that
    changed (not one 30-day query per late check)."""
    global queries
    memo = _memo(session)

    def newest(cid: str) -> datetime | None:
        status = statuses.get(cid)
        return status.last_update if status is not None else None

    day = now.date()
    edge_stamp = {(u.id, d.id): (day, newest(u.id), newest(d.id)) for u, d in edges}
    downs = {d.id: d for _, d in edges if isinstance(d.sla, DeadlineSla)}
    off_stamp = {cid: (day, newest(cid)) for cid in downs}
    stale_offs = [c for c, st in off_stamp.items() if memo.offsets.get(c, (None,))[0] != st]
    redone = set(stale_offs)
    stale_edges = [
        e for e, st in edge_stamp.items() if memo.lags.get(e, (None,))[0] != st or e[1] in redone
    ]
    if stale_edges or stale_offs:
        queries += 1
        seen = landings(session, {c for e in stale_edges for c in e} | set(stale_offs), now)
        for cid in stale_offs:
            sla = downs[cid].sla
            assert isinstance(sla, DeadlineSla)
            memo.offsets[cid] = (off_stamp[cid], usual_offset(sla, seen.get(cid, [])))
        for e in stale_edges:
            down = downs.get(e[1])
            sla = down.sla if down is not None and isinstance(down.sla, DeadlineSla) else None
            offset = memo.offsets[e[1]][1] if down is not None else None
            others = [seen.get(u, []) for u, d in edge_stamp if d == e[1] and u != e[0]]
            lag = follow_lag(seen.get(e[0], []), seen.get(e[1], []), sla, offset, others)
            memo.lags[e] = (edge_stamp[e], lag)
    lags = {e: lag for e in edge_stamp if (lag := memo.lags[e][1]) is not None}
    offsets = {c: off for c in off_stamp if (off := memo.offsets[c][1]) is not None}
    return lags, offsets


def _is_late(down: Contract, status: ContractStatus | None, now: datetime) -> bool:
    if not isinstance(down.sla, DeadlineSla):
        return False
    verdict = evaluate_deadline(down.sla, status.last_update if status else None, now)
    return verdict.state is FreshnessState.LATE


def _period_at_stake(down: Contract, status: ContractStatus | None, now: datetime) -> Period | None:
    """The downstream period a late upstream can make miss (see `period_to_warn`)."""
    if not isinstance(down.sla, DeadlineSla):
        return None
    verdict = evaluate_deadline(down.sla, status.last_update if status else None, now)
    return period_to_warn(down.sla, verdict)


def expectations(
    session: Session,
    registry: Registry,
    upstream: Contract,
    lands_at: datetime,
    now: datetime,
    *,
    usual_times: bool = True,
    statuses: dict[str, ContractStatus] | None = None,
) -> list[Projection]:
    """Each downstream's likely landing if `upstream` lands at `lands_at`: the upstream's
    landing plus each edge's follow lag, never before the downstream's usual landing in the
    period at stake (docs/freshness.md, "Predicted downstream breaches"). `usual_times=False`:
    the follow lags alone (when a breach already due waits for its rerun). `statuses`: the
    contracts' status rows, if the caller loaded them for the whole lineage already."""
    edges = edges_for(registry, upstream)
    if not edges:
        return []
    if statuses is None:
        statuses = load_statuses(session, {c.id for pair in edges for c in pair})
    lags, offsets = _history(session, registry, edges, statuses, now)
    usual: dict[str, datetime] = {}
    for cid, offset in offsets.items() if usual_times else ():
        down = registry.contracts.get(cid)
        if down is None or _is_late(down, statuses.get(cid), now):
            continue  # the late data counts for its late period: no usual time to wait for
        period = _period_at_stake(down, statuses.get(cid), now)
        if period is not None:
            usual[cid] = period.expected + offset
    return list(project(upstream, lands_at, edges, lags, usual).values())


def landings_ahead(
    session: Session,
    registry: Registry,
    upstream: Contract,
    eta: datetime | None,
    now: datetime,
    next_check: timedelta,
    statuses: dict[str, ContractStatus] | None = None,
) -> list[Projection]:
    """`expectations` if the late `upstream` lands at its `eta`, else by its next check: a
    check must see it land, so never a window before a deadline shorter than the upstream's
    re-check interval (docs/freshness.md, "Projection")."""
    found = expectations(session, registry, upstream, eta or now, now, statuses=statuses)
    if eta is not None:
        return found
    return [replace(p, arrival=p.arrival + max(timedelta(0), next_check - p.lag)) for p in found]


def has_downstream_contract(registry: Registry, contract: Contract) -> bool:
    """A contract downstream of `contract`'s asset at any depth (assets without one pass)."""
    if not registry.downstream_of(contract.asset):
        return False
    return any(
        registry.contract_for(asset) is not None
        for asset, _ in walk(registry, contract.asset, "down", max_depth=50)
    )


_EDGES: tuple[weakref.ref[Registry], dict[str, list[tuple[Contract, Contract]]]] | None = None


def edges_for(registry: Registry, upstream: Contract) -> list[tuple[Contract, Contract]]:
    """`edges_below` the upstream, kept for the registry in force: it reads every contract
    of the registry (~18 ms a call at 10,000), and a registry never changes once loaded (a
    reload builds a new one)."""
    global _EDGES
    memo = _EDGES
    if memo is None or memo[0]() is not registry:
        memo = _EDGES = (weakref.ref(registry), {})
    found = memo[1].get(upstream.id)
    if found is None:  # the cheap walk first: most contracts have none below them
        below = has_downstream_contract(registry, upstream)
        found = memo[1][upstream.id] = edges_below(registry, upstream) if below else []
    return found


def _in_already(probe: ProbeMany | None, down: Contract, period: Period) -> bool:
    """Whether the downstream's data for `period` is in, by a probe now: its last check may be
    hours old (a pending contract is next checked after its deadline), and data that landed
    early since must not be warned about."""
    if probe is None or down.probe is None:
        return False
    seen = probe([(down.id, down.probe)]).get(down.id)
    landed = seen.last_update if seen is not None and seen.ok else None
    return landed is not None and landed >= period.window_start


def warn_downstream(
    session: Session,
    registry: Registry,
    upstream: Contract,
    evaluation: Evaluation,
    now: datetime,
    eta: datetime | None = None,
    next_check: timedelta = timedelta(0),
    probe: ProbeMany | None = None,
) -> list[str]:
    """Warn the downstreams the late `upstream` will likely make miss their deadlines (if it
    lands by its next check, `next_check` from now, or at its `eta`); the contracts newly
    warned. With an ETA, warnings already posted are edited to the new expected time. With
    `probe`, a downstream is probed before its first warning and not warned if its data is
    in already."""
    if eta is None:
        eta = _standing_eta(session, upstream.id, now)
    projections = landings_ahead(session, registry, upstream, eta, now, next_check)
    if not projections:
        return []
    statuses = load_statuses(session, [p.contract for p in projections])
    at_stake = list(stake(registry, projections, statuses, now))
    standing = standing_warnings(session, {(down.id, key) for _, down, _, key in at_stake})
    return post_warnings(session, registry, upstream, evaluation, now, eta, at_stake, standing,
                         probe)  # fmt: skip


Stake = tuple[Projection, Contract, Period, str]


def stake(
    registry: Registry,
    projections: Iterable[Projection],
    statuses: dict[str, ContractStatus],
    now: datetime,
) -> Iterator[Stake]:
    """Each projection whose downstream has a period at stake, not past its deadline; with
    that period's warning key."""
    for projection in projections:
        down = registry.contracts.get(projection.contract)
        if down is None or down.sla is None:
            continue
        period = _period_at_stake(down, statuses.get(projection.contract), now)
        if period is None or now >= period.deadline:
            continue
        yield projection, down, period, f"{KIND}:{period.key}"[:64]


def standing_warnings(
    session: Session, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], Alert]:
    """The `predicted:` rows already there for these (downstream, warning key) pairs."""
    if not pairs:
        return {}
    rows = session.scalars(
        select(Alert).where(
            Alert.contract_id.in_({c for c, _ in pairs}),
            Alert.period_key.in_({k for _, k in pairs}),
        )
    )
    return {
        (r.contract_id, r.period_key): r for r in rows if (r.contract_id, r.period_key) in pairs
    }


def post_warnings(
    session: Session,
    registry: Registry,
    upstream: Contract,
    evaluation: Evaluation,
    now: datetime,
    eta: datetime | None,
    at_stake: Iterable[Stake],
    standing: dict[tuple[str, str], Alert],
    probe: ProbeMany | None = None,
) -> list[str]:
    """Post a warning for each downstream at stake that will likely miss and was not warned
    for that period (`standing`, updated with what is posted); with an ETA, edit the standing
    ones to the new expected time. The contracts newly warned."""
    warned = []
    for projection, down, period, key in at_stake:
        cid = down.id
        row = standing.get((cid, key))
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
        if _in_already(probe, down, period):
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
        standing[(cid, key)] = row
        warned.append(cid)
    return warned
