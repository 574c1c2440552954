"""Issue 13's figures on the replay: warnings before the breach, and silence off the calendar.

Definitions (from docs/freshness.md, "Calendars" and "Predicted downstream breaches"):
* Caused breach: a true downstream breach that must fold (an upstream breach, any depth,
  began before it and is open at its first check: metrics.Case.expect == "fold").
* Warnable: a warning can only come from a check of a late upstream before the downstream's
  deadline ("Predicted downstream breaches": the late upstream's checks project). A caused
  breach is warnable when some upstream of it (any depth) was in a true breach that began
  before the downstream's deadline and the harness checked that upstream, still not in, after
  its breach began and before the downstream's deadline. A 60-minute sweep often first sees
  the upstream late after the downstream's deadline: such breaches are not achievable.
* Warned: demarc recorded a `predicted` warning for its contract and period before its
  deadline; lead time = deadline - warning. "With lag history": the breach's deadline is at
  least `HISTORY` into the replay (an edge's lag needs three landings seen by the checks).
* False warning: a warning for a period that was not breached and whose data arrived more than
  one check interval before its deadline.
* Off-calendar alert: a late alert for a period its contract's calendar does not expect.
"""

from __future__ import annotations

import bisect
import statistics
from datetime import datetime, timedelta
from typing import Any

from bench.replay.driver import Observed
from bench.replay.truth import Breach, Period, expected
from bench.replay.world import World

HISTORY = timedelta(days=3)


def _period(world: World, contract: str, key: str) -> Period | None:
    ps = world.periods.get(contract)
    if ps is None:
        return None
    return next((p for p in ps[0] if p.key == key), None)


def _warnable(world: World, obs: Observed, truth: dict[str, list[Breach]], b: Breach) -> bool:
    """Some upstream of `b`, in a breach that began before `b`'s deadline, was checked while
    still not in, before that deadline (see the module docstring)."""
    for up in world.ancestors(b.contract):
        checks = obs.checks.get(up, [])
        for ub in truth.get(up, []):
            if ub.began >= b.began:
                continue
            i = bisect.bisect_right(checks, ub.began)
            if i < len(checks) and checks[i] < b.began and ub.open_at(checks[i]):
                return True
    return False


def figures(world: World, obs: Observed, cases: list[Any],
            truth: dict[str, list[Breach]]) -> dict[str, Any]:
    warnings: dict[tuple[str, str], datetime] = {}
    for a in obs.alerts.values():
        if a.kind == "predicted":
            key = a.key.split(":", 1)[1]
            at = warnings.get((a.contract, key))
            warnings[(a.contract, key)] = min(at, a.opened_at) if at else a.opened_at
    caused = [c for c in cases if c.expect == "fold" and c.breach.key in
              {p.key for p in world.periods.get(c.breach.contract, ([], []))[0]}]
    leads, late_or_none, unwarnable, in_history = [], [], [], 0
    for c in caused:
        b = c.breach
        if b.began < obs.start + HISTORY:
            continue
        in_history += 1
        at = warnings.get((b.contract, b.key))
        if at is not None and at < b.began:
            leads.append((b.began - at).total_seconds() / 60)
        elif not _warnable(world, obs, truth, b):
            unwarnable.append(f"{b.contract} {b.key}")
        else:
            late_or_none.append(f"{b.contract} {b.key}")
    warned_any = sum(1 for c in caused if warnings.get((c.breach.contract, c.breach.key)))
    breached = {(c, b.key) for c, bs in truth.items() for b in bs}
    false = []
    for (contract, key), at in warnings.items():
        period = _period(world, contract, key)
        if period is None or (contract, key) in breached:
            continue
        ups = world.updates[contract]
        i = bisect.bisect_left(ups, period.window_start)
        first = ups[i] if i < len(ups) else None
        if first is not None and first <= period.deadline - obs.interval:
            false.append(f"{contract} {key} (warned {at:%m-%d %H:%M}, in {first:%H:%M})")
    off = []
    for a in obs.alerts.values():
        if a.kind != "late":
            continue
        spec = world.contracts[a.contract].spec
        period = _period(world, a.contract, a.key)
        if period is not None and not expected(spec, period):
            off.append(f"{a.contract} {a.key}")
    return {
        "caused": len(caused),
        "caused_with_history": in_history,
        "warned_any": warned_any,
        "warned_in_time": len(leads),
        "not_warned_in_time": late_or_none,
        "not_warnable": unwarnable,
        "lead_median_min": statistics.median(leads) if leads else float("nan"),
        "lead_min_min": min(leads) if leads else float("nan"),
        "warnings": len(warnings),
        "false_warnings": false,
        "off_calendar_alerts": off,
    }
