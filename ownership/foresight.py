"""Telling people before the breach: the heads-up after `warn_after`, pure given `now`.

A deadline SLA with `warn_after` gets one short, non-paging heads-up per period when its data
has not arrived `warn_after` after the due time (still before the deadline). docs/freshness.md,
"Warn before error".
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ownership.calendars import is_expected
from ownership.errors import InvalidValue
from ownership.lineage import walk
from ownership.model import Contract, DeadlineSla, Registry
from ownership.periods import Period, first_uncovered, next_period, previous_period
from ownership.sla import Evaluation, FreshnessState
from ownership.timeparse import parse_clock, parse_duration, zone


def warn_at(sla: DeadlineSla, period: Period) -> datetime | None:
    """When the heads-up for `period` is due, if the SLA asks for one."""
    if sla.warn_after is None:
        return None
    return period.expected + sla.warn_after


def heads_up_due(sla: DeadlineSla | None, evaluation: Evaluation, now: datetime) -> bool:
    """No data yet, the warning time has come and the deadline has not passed."""
    period = evaluation.period
    if sla is None or period is None or evaluation.state is not FreshnessState.PENDING:
        return False
    at = warn_at(sla, period)
    return at is not None and at <= now <= period.deadline


def may_settle_heads_up(sla: DeadlineSla | None, evaluation: Evaluation) -> bool:
    """Fresh data that came after the warning time: a heads-up may be waiting to be settled."""
    period, update = evaluation.period, evaluation.last_update
    if sla is None or period is None or update is None or not evaluation.state.is_fresh:
        return False
    at = warn_at(sla, period)
    return at is not None and update >= at


def needs_heads_up_path(sla: DeadlineSla | None, evaluation: Evaluation, now: datetime) -> bool:
    """Whether a check may post or settle a heads-up (so it cannot take the quiet path)."""
    return heads_up_due(sla, evaluation, now) or may_settle_heads_up(sla, evaluation)


# ---------------------------------------------------------------------- predicted breaches
LAG_SAMPLES = 3  # landings needed on an edge before its lag is trusted
LAG_WINDOW = 20  # the latest landings the median is taken over
FOLLOW_SAMPLES = 2  # gaps in which the downstream waited for its upstream: the fastest counts


@dataclass(frozen=True, slots=True)
class Projection:
    """When a downstream contract will likely land, `lag` after the late upstream does."""

    contract: str
    arrival: datetime
    lag: timedelta  # from the late upstream's landing, along the slowest known path


def _gaps(up: Sequence[datetime], down: Sequence[datetime]) -> list[timedelta]:
    """For each downstream landing, the time since the latest upstream landing at or before
    it; the latest `LAG_WINDOW` of them."""
    ups = sorted(set(up))
    lags = []
    for landed in sorted(set(down)):
        i = bisect.bisect_right(ups, landed)
        if i:
            lags.append(landed - ups[i - 1])
    return lags[-LAG_WINDOW:]


def median_lag(up: Sequence[datetime], down: Sequence[datetime]) -> timedelta | None:
    """How long after an upstream landing the downstream usually lands: the median of the
    gaps (`_gaps`), once there are `LAG_SAMPLES`. Includes the downstream's own slack."""
    lags = _gaps(up, down)
    return statistics.median_low(lags) if len(lags) >= LAG_SAMPLES else None


def follow_lag(
    up: Sequence[datetime],
    down: Sequence[datetime],
    sla: DeadlineSla | None = None,
    offset: timedelta | None = None,
    others: Sequence[Sequence[datetime]] = (),
) -> timedelta | None:
    """How soon the downstream lands after its upstream, once there are `LAG_SAMPLES` gaps.

    A downstream lands at max(its own usual time, upstream + the time it needs). A gap only
    measures that time alone when the upstream came in at or after the downstream's usual
    landing (`sla`'s period due time + `offset`), and after its `others` upstreams: the
    downstream had to wait for this one. The fastest of `FOLLOW_SAMPLES` or more such
    "waited" gaps is the follow lag. With fewer it is zero: the downstream cannot land before
    its input, and any other figure is a guess (a steady gap may be the downstream's own
    schedule; a single waited gap, the downstream's own delay that day) that warns about
    downstreams which then land in time (docs/freshness.md, "Lag per edge").
    Without a usual landing (no clock SLA) every gap counts."""
    ups = sorted(set(up))
    gaps: list[tuple[datetime, timedelta]] = []
    for landed in sorted(set(down)):
        i = bisect.bisect_right(ups, landed)
        if i:
            gaps.append((landed, landed - ups[i - 1]))
    gaps = gaps[-LAG_WINDOW:]
    if len(gaps) < LAG_SAMPLES:
        return None
    if sla is None or offset is None:
        return min(g for _, g in gaps)
    waited = [
        g
        for landed, g in gaps
        if landed - g >= previous_period(sla, first_uncovered(sla, landed)).expected + offset
        and _last_in(landed - g, landed, others)
    ]
    return min(waited) if len(waited) >= FOLLOW_SAMPLES else timedelta(0)


def _last_in(at: datetime, before: datetime, others: Sequence[Sequence[datetime]]) -> bool:
    """No other upstream landed after `at` (and before `before`): it was the one waited for."""
    return not any(at < t < before for ts in others for t in ts)


def usual_offset(sla: DeadlineSla, landings: Sequence[datetime]) -> timedelta | None:
    """When in its period the contract usually lands: the median offset of its latest
    `LAG_WINDOW` landings from the due time of the (last) period each counts for, negative
    when it lands early; once there are `LAG_SAMPLES`."""
    offsets = []
    for landed in sorted(set(landings))[-LAG_WINDOW:]:
        counted = previous_period(sla, first_uncovered(sla, landed))  # the last it counts for
        offsets.append(landed - counted.expected)
    return statistics.median_low(offsets) if len(offsets) >= LAG_SAMPLES else None


def edges_below(registry: Registry, source: Contract) -> list[tuple[Contract, Contract]]:
    """The (upstream, downstream) contract pairs of the lineage below `source`, nearest first.

    Assets without a contract (a feature computed on the way) pass through: the pair joins
    the nearest contracts on either side of them."""
    by_asset: dict[str, list[Contract]] = {}
    for c in registry.contracts.values():
        by_asset.setdefault(c.asset, []).append(c)
    by_asset[source.asset] = [source]
    below = [source.asset] + [
        a for a, _ in walk(registry, source.asset, "down", max_depth=len(registry.assets))
    ]
    inside = set(below)

    def nearest_up(asset_id: str) -> list[str]:
        found: list[str] = []
        seen = {asset_id}
        frontier = [asset_id]
        while frontier:
            step: list[str] = []
            for a in frontier:
                asset = registry.assets.get(a)
                for up in asset.upstream if asset else ():
                    if up in seen or up not in inside:
                        continue
                    seen.add(up)
                    (found if up in by_asset else step).append(up)
            frontier = step
        return found

    pairs: list[tuple[Contract, Contract]] = []
    for asset_id in below[1:]:
        for up in nearest_up(asset_id) if asset_id in by_asset else ():
            pairs.extend((cu, cd) for cu in by_asset[up] for cd in by_asset[asset_id])
    return pairs


def project(
    source: Contract,
    lands_at: datetime,
    edges: Sequence[tuple[Contract, Contract]],
    lags: Mapping[tuple[str, str], timedelta],
    usual: Mapping[str, datetime] | None = None,
) -> dict[str, Projection]:
    """Each downstream's likely landing if `source` lands at `lands_at`: along every edge with
    a known (follow) lag, the latest of its upstreams' landings plus that lag, and never before
    the downstream's `usual` landing in the period at stake."""
    floors = usual or {}
    arrival: dict[str, datetime] = {source.id: lands_at}
    for up, down in edges:  # nearest first, so an upstream's arrival is known before its use
        lag = lags.get((up.id, down.id))
        if up.id not in arrival or lag is None:
            continue
        at = arrival[up.id] + lag
        floor = floors.get(down.id)
        if floor is not None and floor > at:
            at = floor
        if at > arrival.get(down.id, at - timedelta(seconds=1)):
            arrival[down.id] = at
    return {
        cid: Projection(cid, at, at - lands_at) for cid, at in arrival.items() if cid != source.id
    }


def period_to_warn(sla: DeadlineSla | None, evaluation: Evaluation) -> Period | None:
    """The downstream period a late upstream can make miss its deadline: the pending one;
    while the current one has its data, the first the data does not count for; while it is
    late already, the next one (if the calendar expects it)."""
    if sla is None:
        return None
    if evaluation.state is FreshnessState.PENDING:
        return evaluation.period
    if evaluation.state is FreshnessState.LATE and evaluation.period is not None:
        period = next_period(sla, evaluation.period)  # late already: warn about the next one
    elif not evaluation.state.is_fresh or evaluation.last_update is None:
        return None
    else:
        period = first_uncovered(sla, evaluation.last_update)
    return period if is_expected(sla.calendar, sla.timezone, period.expected) else None


def will_miss(period: Period | None, arrival: datetime, now: datetime) -> bool:
    """Whether a landing at `arrival` misses a deadline that is still ahead."""
    return period is not None and now < period.deadline < arrival


# ---------------------------------------------------------------------- ETAs
MAX_ETA = timedelta(days=7)


def parse_eta(text: str, now: datetime) -> datetime:
    """ "05:30" (UTC, the next such time), "05:30 Europe/Berlin", "in 2h", "90 min" or an ISO
    instant; InvalidValue when it is none of them or not ahead of `now` by at most a week."""
    words = text.strip().removeprefix("in ").strip()
    try:
        at = parse_duration(words)
    except InvalidValue:
        at = None
    if at is not None:
        eta = now + at
    else:
        clock, _, tz = words.partition(" ")
        try:
            local_now = now.astimezone(zone(tz.strip() or "UTC"))
            day = datetime.combine(local_now.date(), parse_clock(clock), tzinfo=local_now.tzinfo)
            eta = day if day > local_now else day + timedelta(days=1)
        except InvalidValue:
            try:
                eta = datetime.fromisoformat(words)
            except ValueError:
                raise InvalidValue(
                    f"'{text[:40]}' is not an ETA: give a time like 05:30 (UTC) or 'in 2h'"
                ) from None
            if eta.tzinfo is None:
                eta = eta.replace(tzinfo=UTC)
    eta = eta.astimezone(UTC)
    if not now < eta <= now + MAX_ETA:
        raise InvalidValue("an ETA must be ahead, and at most 7 days ahead")
    return eta
