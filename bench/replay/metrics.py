"""What demarc did (driver.Observed) against the ground truth (truth.py), as issue 9's figures.

Definitions (bench/README.md says the same):
* A true breach is in scope when it began in [start - 1 day, end - 1 h]. Its first check is
  the first sweep after it began (sweep) or one second after (scheduler: a pending contract is
  re-checked one second after its deadline); a breach that began before the start is first
  checked at the start. A breach still open at its first check must be alerted.
* Alerted: a root was posted for it (an alert row with its contract and period key, whose root
  reached Slack), or it was listed under an upstream's root (a thread reply or an edit of that
  root naming it, after its alert row was attached there; at once if that root already names
  the contract for an earlier breach). The alert's time is when Slack got
  the first of these; latency = that time - the breach's start (the start, if later).
* False alarm: a root or a listing for a contract and period that was never breached.
* Folding: a breach must be folded when an upstream breach (any depth) began before it and is
  still open at its first check, and must be paged on its own when none is open there or
  recovered within one interval before it (the other cases are borderline and not judged).
  A fold is wrong when the root it is listed under is not an upstream's breach that began
  before it.
* Recovery latency: the arrival of the data that counts -> the first Slack message about that
  alert after demarc marked it recovered (own root edited, or a line in the cause's thread).
* Check rate: checks per contract per clock hour, from demarc's `check_results`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.replay import foresight
from bench.replay.driver import SWEEP_OFFSET, AlertSeen, Message, Observed
from bench.replay.truth import DAY, HOUR, Breach, breaches
from bench.replay.world import World

ALLOWANCE = timedelta(seconds=30)  # Slack delivery: the outbox paces 1 message/s per channel


@dataclass
class Case:
    """One true breach in scope, and what demarc did about it."""

    breach: Breach
    first_check: datetime
    since: datetime  # when it began, or the start if later
    open_at_first_check: bool
    expect: str  # fold | page | either
    alerts: list[AlertSeen] = field(default_factory=list)
    roots: list[datetime] = field(default_factory=list)
    listed: datetime | None = None
    cause: AlertSeen | None = None
    recovered_seen: datetime | None = None

    @property
    def alerted(self) -> datetime | None:
        times = [t for t in (*self.roots, self.listed) if t is not None]
        return min(times) if times else None


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def _minutes(seconds: Sequence[float]) -> dict[str, float]:
    return {"n": len(seconds), "median_min": _quantile(seconds, 0.5) / 60,
            "p95_min": _quantile(seconds, 0.95) / 60,
            "max_min": (max(seconds) / 60) if seconds else math.nan}


class Index:
    """Slack messages by the alert whose root or thread they belong to."""

    def __init__(self, obs: Observed) -> None:
        self.by_alert: dict[int, list[Message]] = {}
        self.roots: dict[int, list[datetime]] = {}
        for m in obs.messages:
            if m.method == "chat.postMessage" and m.thread_ts is None:
                aid = obs.root_ts.get(m.ts or "")
                if aid is not None:
                    self.roots.setdefault(aid, []).append(m.at)
                    self.by_alert.setdefault(aid, []).append(m)
                continue
            ts = m.thread_ts if m.method == "chat.postMessage" else m.ts
            aid = obs.root_ts.get(ts or "")
            if aid is not None:
                self.by_alert.setdefault(aid, []).append(m)

    def first_mention(self, alert_id: int, contract: str, after: datetime) -> datetime | None:
        needle = f"`{contract}`"
        for m in self.by_alert.get(alert_id, []):
            if m.at >= after and needle in m.text:
                return m.at
        return None

    def listed(self, alert_id: int, contract: str, opened: datetime) -> datetime | None:
        """When `contract` shows under that root for an alert attached at `opened`: at once if
        the root already names it (an earlier breach of it), else at its first mention."""
        needle = f"`{contract}`"
        if any(m.at < opened and needle in m.text for m in self.by_alert.get(alert_id, [])):
            return opened
        return self.first_mention(alert_id, contract, opened)

    def first_after(self, alert_id: int, after: datetime) -> datetime | None:
        for m in self.by_alert.get(alert_id, []):
            if m.at >= after:
                return m.at
        return None


def first_check(mode: str, interval: timedelta, start: datetime, began: datetime) -> datetime:
    if mode == "scheduler":
        return max(start, began + timedelta(seconds=1))
    first = start + SWEEP_OFFSET
    if began < first:
        return first
    n = math.floor((began - first) / interval) + 1
    return first + n * interval


def evaluate(world: World, obs: Observed) -> dict[str, Any]:
    start, end, interval = obs.start, obs.end, obs.interval
    grace = interval
    truth: dict[str, list[Breach]] = {
        c: breaches(c, world.contracts[c].spec, world.updates[c], start - 3 * DAY, end)
        for c in world.contracts
    }
    index = Index(obs)
    by_key: dict[tuple[str, str], list[AlertSeen]] = {}
    for a in obs.alerts.values():
        if a.kind == "late":
            by_key.setdefault((a.contract, a.key), []).append(a)
    cases: list[Case] = []
    for c, bs in truth.items():
        ancestors = world.ancestors(c)
        for b in bs:
            if not start - DAY <= b.began <= end - HOUR:
                continue
            t1 = first_check(obs.mode, interval, start, b.began)
            causes = [u for a in ancestors for u in truth[a] if u.began < b.began]
            if any(u.open_at(t1 + ALLOWANCE) for u in causes):
                expect = "fold"
            elif any(u.began < t1 and (u.arrival is None or u.arrival > t1 - grace)
                     for u in causes):
                expect = "either"
            else:
                expect = "page"
            case = Case(b, t1, max(b.began, start), b.open_at(t1), expect,
                        by_key.get((c, b.key), []))
            for a in case.alerts:
                case.roots += index.roots.get(a.id, [])
                if a.first_cause is not None:
                    cause = obs.alerts.get(a.first_cause)
                    listed = index.listed(a.first_cause, c, a.opened_at)
                    if listed is not None and (case.listed is None or listed < case.listed):
                        case.listed, case.cause = listed, cause
                if a.recovered_at is not None:
                    seen = index.first_after(a.id, a.recovered_at)
                    if a.first_cause is not None and not index.roots.get(a.id):
                        seen = index.first_mention(a.first_cause, c, a.recovered_at)
                    case.recovered_seen = seen or a.recovered_at
            cases.append(case)
    return _figures(world, obs, cases, truth, by_key, index)


def _figures(world: World, obs: Observed, cases: list[Case], truth: dict[str, list[Breach]],
             by_key: dict[tuple[str, str], list[AlertSeen]], index: Index) -> dict[str, Any]:
    known = {(b.contract, b.key) for bs in truth.values() for b in bs}
    interval = obs.interval
    must = [c for c in cases if c.open_at_first_check]
    alerted = [c for c in must if c.alerted is not None]
    missed = [c for c in must if c.alerted is None]
    latency = [(c.alerted - c.since).total_seconds() for c in alerted if c.alerted is not None]
    late_alerts = [c for c in alerted if c.alerted is not None
                   and c.alerted - c.since > interval + ALLOWANCE]
    # false alarms: roots or listings for a contract and period that was never breached
    false_alarms = []
    for (contract, key), alerts in by_key.items():
        if (contract, key) in known:
            continue
        for a in alerts:
            shown = index.roots.get(a.id) or (
                a.first_cause is not None and index.listed(a.first_cause, contract,
                                                           a.opened_at))
            if shown:
                false_alarms.append(f"{contract} {key}")
    multi_root = [c for c in cases if len(c.roots) > 1]
    folded = [c for c in alerted if c.listed is not None and
              (not c.roots or c.listed <= min(c.roots))]
    paged = [c for c in alerted if c not in folded]
    roots_paged = sum(len(c.roots) for c in paged)
    downstream = {cid for cid, con in world.contracts.items() if con.upstream}
    wrong_folds = []
    for c in folded:
        cause = c.cause
        ok = False
        if cause is not None:
            ups = world.ancestors(c.breach.contract)
            cause_breach = next((b for b in truth[cause.contract] if b.key == cause.key),
                                None)
            ok = (cause.contract in ups and cause_breach is not None
                  and cause_breach.began < c.breach.began)
        if not ok:
            wrong_folds.append(c)
    should_fold_paged = [c for c in alerted if c.expect == "fold" and c not in folded]
    should_page_folded = [c for c in alerted if c.expect == "page" and c in folded]
    recovery = [(c.recovered_seen - c.breach.arrival).total_seconds() for c in alerted
                if c.recovered_seen is not None and c.breach.arrival is not None
                and c.breach.arrival <= obs.end - HOUR]
    unseen_recovery = [c for c in alerted if c.breach.arrival is not None
                       and c.breach.arrival <= obs.end - 2 * HOUR and c.recovered_seen is None]
    slow_recovery = [c for c in alerted if c.recovered_seen is not None
                     and c.breach.arrival is not None
                     and c.recovered_seen - c.breach.arrival > interval + ALLOWANCE]
    rate = _check_rate(obs)
    return {
        "foresight": foresight.figures(world, obs, cases, truth),
        "mode": obs.mode,
        "interval_min": interval.total_seconds() / 60,
        "breaches_in_scope": len(cases),
        "breaches_open_at_first_check": len(must),
        "alerted": len(alerted),
        "recall": len(alerted) / len(must) if must else math.nan,
        "missed": [_name(c) for c in missed],
        "false_alarms": false_alarms,
        "latency": _minutes(latency),
        "alerts_later_than_interval": [_name(c, c.alerted) for c in late_alerts],
        "roots": len([m for m in obs.messages if m.method == "chat.postMessage"
                      and m.thread_ts is None]),
        "roots_per_paged_breach": roots_paged / len(paged) if paged else math.nan,
        "promoted": len([c for c in folded if c.roots]),
        "replies": len([m for m in obs.messages if m.method == "chat.postMessage"
                        and m.thread_ts is not None]),
        "edits": len([m for m in obs.messages if m.method == "chat.update"]),
        "breaches_with_several_roots": [_name(c) for c in multi_root],
        "folded": len(folded),
        "paged_downstream": len([c for c in paged if c.breach.contract in downstream]),
        "should_fold_but_paged": [_name(c) for c in should_fold_paged],
        "should_page_but_folded": [_name(c) for c in should_page_folded],
        "wrong_folds": [f"{_name(c)} under {c.cause.contract if c.cause else '?'} "
                        f"{c.cause.key if c.cause else ''}" for c in wrong_folds],
        "borderline_not_judged": len([c for c in alerted if c.expect == "either"]),
        "recovery": _minutes(recovery),
        "recoveries_slower_than_interval": [_name(c) for c in slow_recovery],
        "recoveries_never_seen": [_name(c) for c in unseen_recovery],
        "check_failed_alerts": len([a for a in obs.alerts.values() if a.kind != "late"]),
        "checks": sum(len(v) for v in obs.checks.values()),
        **rate,
        "errors_logged": obs.errors,
        "outbox_left": obs.outbox_left,
        "wall_seconds": round(obs.wall_seconds, 1),
        "cpu_seconds": round(obs.cpu_seconds, 1),
    }


def _name(c: Case, at: datetime | None = None) -> str:
    extra = f" (+{(at - c.since) / timedelta(minutes=1):.0f} min)" if at is not None else ""
    return f"{c.breach.contract} {c.breach.key}{extra}"


def _check_rate(obs: Observed) -> dict[str, Any]:
    """Max checks of one contract in one clock hour; loops: above what the interval allows."""
    worst, who = 0, ""
    for cid, times in obs.checks.items():
        per_hour = Counter(t.replace(minute=0, second=0, microsecond=0) for t in times)
        n = max(per_hour.values(), default=0)
        if n > worst:
            worst, who = n, cid
    if obs.mode == "sweep":
        limit = math.ceil(HOUR / obs.interval)
    else:
        limit = math.ceil(HOUR / obs.interval) + 2  # re-checks, plus a deadline or two
    loops = sorted(cid for cid, times in obs.checks.items()
                   if max(Counter(t.replace(minute=0, second=0, microsecond=0)
                                  for t in times).values(), default=0) > limit)
    fastest = {cid: gap.total_seconds() for cid, gap in obs.min_gap.items() if cid in loops}
    return {"max_checks_per_contract_hour": worst, "max_checks_contract": who,
            "checks_per_hour_limit": limit, "check_loops": loops,
            "loop_fastest_gap_s": fastest, "checks_held_by_harness": dict(obs.held)}
