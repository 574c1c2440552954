"""The replayed world: contracts, lineage and a month of deliveries from a seeded RNG.

About 50 contracts (`tiny`: 11 over 3 days) owned by four teams: daily, hourly, cron and
age SLAs in UTC and Europe/Berlin; lineage chains of depth 4 and a diamond; `max_delay`
shorter than, equal to and longer than the period (hourly with 60 and 90 min, daily with 24 h
and 26 h). Each period's load is on time, early, slightly late (still in time), just late (a
breach shorter than a check), breached (late, then recovered) or missing (the next load
recovers it). A downstream load waits for the upstream data it reads, so an upstream outage
makes its lineage late too.
Scripted incidents make sure every defect of issue 9 has a case: see `_incidents`.

Every delivery is an instant with whole seconds; the warehouse row's timestamp is that instant.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bench.replay.truth import DAY, HOUR, MINUTE, Period, Spec, periods
from bench.replay.truth import expected as is_expected

TEAMS = {  # id: (name, on-call channel, on-call member)
    "data_engineering": ("Data Engineering", "#data-eng-oncall", "U0DATAENG1"),
    "analytics_eng": ("Analytics Engineering", "#analytics-oncall", "U0ANALYTC1"),
    "mlops_churn": ("MLOps Churn", "#mlops-churn-oncall", "U0MLCHURN1"),
    "mlops_growth": ("MLOps Growth", "#mlops-growth-oncall", "U0MLGROWT1"),
}
KINDS = {"data_engineering": "source", "analytics_eng": "table", "mlops_churn": "feature",
         "mlops_growth": "feature"}


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime
    days: int
    change: str  # the DST change it crosses, in words

    @property
    def end(self) -> datetime:
        return self.start + self.days * DAY


# Both start at 03:00 UTC: just after raw_orders' 02:30 deadline (the start-up case below).
SPRING = Window("spring", datetime(2026, 3, 20, 3, 0, tzinfo=UTC), 30,
                "Europe/Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST)")
AUTUMN = Window("autumn", datetime(2026, 10, 16, 3, 0, tzinfo=UTC), 30,
                "Europe/Berlin falls back on 2026-10-25 (03:00 CEST → 02:00 CET)")
SPRING_TINY = Window("spring", datetime(2026, 3, 27, 3, 0, tzinfo=UTC), 3,
                     "Europe/Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST)")
AUTUMN_TINY = Window("autumn", datetime(2026, 10, 23, 3, 0, tzinfo=UTC), 3,
                     "Europe/Berlin falls back on 2026-10-25 (03:00 CEST → 02:00 CET)")
HISTORY = timedelta(days=3)  # deliveries before the start, all on time but the scripted ones


@dataclass(frozen=True)
class Contract:
    id: str
    owner: str
    spec: Spec
    upstream: tuple[str, ...] = ()
    every: timedelta = HOUR  # age SLAs: how often loads come


@dataclass(frozen=True)
class Outage:
    """No load of `contract` lands in [start, end); one catch-up load lands at `end`."""

    contract: str
    start: datetime
    end: datetime
    why: str


@dataclass
class World:
    window: Window
    seed: int
    contracts: dict[str, Contract]
    updates: dict[str, list[datetime]] = field(default_factory=dict)
    outages: list[Outage] = field(default_factory=list)
    periods: dict[str, tuple[list[Period], list[datetime]]] = field(default_factory=dict)

    def ancestors(self, contract_id: str) -> set[str]:
        """Every contract upstream of this one, at any depth."""
        seen: set[str] = set()
        todo = list(self.contracts[contract_id].upstream)
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo.extend(self.contracts[c].upstream)
        return seen


def _daily(at: str, tz: str, delay_min: int, days: tuple[int, ...] = (),
           holidays: tuple[date, ...] = ()) -> Spec:
    h, m = (int(x) for x in at.split(":"))
    return Spec("daily", tz, time(h, m), timedelta(minutes=delay_min), days=days,
                holidays=holidays)


WEEKDAYS = (0, 1, 2, 3, 4)  # a calendar of mon-fri: nothing is loaded, or due, at weekends


def _hourly(minute: int, delay_min: int) -> Spec:
    return Spec("hourly", "UTC", time(0, minute), timedelta(minutes=delay_min))


def _cron(expr: str, tz: str, delay_min: int) -> Spec:
    return Spec("cron", tz, max_delay=timedelta(minutes=delay_min), cron=expr)


def _age(warn_h: float | None, error_h: float | None) -> Spec:
    return Spec("age", warn_after=timedelta(hours=warn_h) if warn_h else None,
                error_after=timedelta(hours=error_h) if error_h else None)


B = "Europe/Berlin"


def contracts(tiny: bool) -> dict[str, Contract]:
    de, ae, mc, mg = "data_engineering", "analytics_eng", "mlops_churn", "mlops_growth"
    chain = [
        # A: UTC daily, depth 4; two staging tables with the same deadline (defect 4)
        Contract("raw_orders", de, _daily("02:00", "UTC", 30)),
        Contract("stg_orders", ae, _daily("03:00", "UTC", 30), ("raw_orders",)),
        Contract("stg_payments", ae, _daily("03:00", "UTC", 30, WEEKDAYS), ("raw_orders",)),
        Contract("orders_daily", ae, _daily("04:00", "UTC", 30), ("stg_orders", "stg_payments")),
        Contract("revenue_features", mg, _daily("05:00", "UTC", 45), ("orders_daily",)),
        # B: Berlin daily with a diamond; 02:30 and 02:45 fall in the spring-forward gap
        Contract("crm_customers", de, _daily("01:30", B, 30)),
        Contract("customer_master", de, _daily("02:30", B, 30), ("crm_customers",)),
        Contract("customer_events", ae,
                 _daily("02:45", B, 30, holidays=(date(2026, 3, 28), date(2026, 10, 24))),
                 ("crm_customers",)),
        Contract("churn_features", mc, _daily("03:30", B, 45),
                 ("customer_master", "customer_events")),
        # D: max_delay longer than the period (hourly 90 min, daily 26 h)
        Contract("clickstream", de, _hourly(10, 90)),
        Contract("partner_feed", de, _age(3, None), every=2 * HOUR),  # warn-only (defect 6)
    ]
    if tiny:
        return {c.id: c for c in chain}
    chain += [
        Contract("revenue_forecast", mg, _daily("06:30", "UTC", 60, WEEKDAYS),
                 ("revenue_features",)),
        Contract("churn_scores", mc, _daily("05:00", B, 60), ("churn_features",)),
        # C: hourly, depth 3
        Contract("events_raw", de, _hourly(5, 15)),
        Contract("sessions_hourly", ae, _hourly(25, 15), ("events_raw",)),
        Contract("engagement_hourly", mg, _hourly(45, 10), ("sessions_hourly",)),
        # D: ... and equal to it (hourly 60 min, daily 24 h)
        Contract("clicks_agg", ae, _hourly(30, 60), ("clickstream",)),
        Contract("ledger", de, _daily("02:00", "UTC", 26 * 60)),
        Contract("ledger_report", ae, _daily("06:00", "UTC", 24 * 60), ("ledger",)),
        # cron, UTC and Berlin (02:00 Berlin is in the spring gap; */30 0-3 meets the repeated hour)
        Contract("inventory_snapshot", de, _cron("0 */4 * * *", "UTC", 30)),
        Contract("inventory_features", mg, _cron("30 */4 * * *", "UTC", 30),
                 ("inventory_snapshot",)),
        Contract("pricing_weekday", ae, _cron("30 6 * * 1-5", B, 60)),
        Contract("fx_rates", de, _cron("0 2 * * *", B, 20)),
        Contract("sensor_night", de, _cron("*/30 0-3 * * *", B, 10)),
        # age SLAs
        Contract("app_logs", de, _age(2, 6), every=HOUR),
        Contract("crm_exports", ae, _age(None, 26), every=DAY),
        Contract("model_monitoring", mc, _age(1, 3), every=30 * MINUTE),
    ]
    owners = [de, ae, mc, mg]
    for i in range(22):  # independent daily tables, UTC and Berlin, at assorted times
        tz = "UTC" if i % 2 == 0 else B
        at = f"{(i * 5) % 24:02d}:{(i * 17) % 60:02d}"
        delay = (15, 30, 60, 120)[i % 4]
        days = WEEKDAYS if i % 5 == 0 else ()
        chain.append(Contract(f"dim_{i:02d}", owners[i % 4], _daily(at, tz, delay, days)))
    return {c.id: c for c in chain}


def _incidents(window: Window, tiny: bool) -> list[Outage]:
    """Outages placed on fixed days of the window, each aimed at one of issue 9's defects."""
    t0 = window.start

    def day(n: int, hh: int = 0, mm: int = 0) -> datetime:
        return (t0.replace(hour=0) + n * DAY + timedelta(hours=hh, minutes=mm))

    dst = next(n for n in range(window.days) if day(n).date().isoformat()
               in ("2026-03-29", "2026-10-25"))
    out = [
        # start-up: revenue_features has been late since yesterday 05:45 UTC; raw_orders broke
        # at 02:30, after it (defect 3: it must not be folded under raw_orders). Both outages
        # also give the depth-4 cascade stg_* → orders_daily → revenue_features (defects 2, 4).
        Outage("revenue_features", t0 - DAY, t0 + 5 * HOUR, "late since before the start"),
        Outage("raw_orders", t0 - HOUR, t0 + 3 * HOUR, "3 h outage at the start"),
        # the diamond: crm_customers 3 h late on the DST day (defect 2: churn_features is
        # downstream of two folded alerts)
        Outage("crm_customers", day(dst, -2), day(dst, 3, 30), "crm 3 h late, DST day"),
        # max_delay longer than the period: hours of nothing (defect 1, 5)
        Outage("clickstream", day(1 if tiny else 7, 8), day(1 if tiny else 7, 14),
               "clickstream 6 h outage"),
        # warn-only age SLA past warn_after for hours (defect 6)
        Outage("partner_feed", day(1, 6), day(1, 13), "partner feed 7 h gap"),
    ]
    if not tiny:
        out += [
            Outage("raw_orders", day(5, 0), day(6, 1), "raw_orders misses a day"),
            Outage("ledger", day(8, 0), day(9, 12), "ledger misses a day (26 h SLA)"),
            Outage("events_raw", day(11, 9), day(11, 12), "events_raw 3 h outage"),
            Outage("crm_customers", day(17, -2), day(17, 6), "crm 6 h late"),
            Outage("app_logs", day(19, 2), day(19, 12), "app logs 10 h gap"),
            Outage("inventory_snapshot", day(21, 3), day(21, 11), "inventory 8 h outage"),
            Outage("clickstream", day(23, 20), day(24, 2), "clickstream 6 h overnight"),
        ]
    return out


# Outcome odds per period (hourly/half-hourly SLAs get fewer incidents: they have many periods)
ODDS = {  # on_time, early, slight, just_late, breached, missing
    "frequent": (0.97, 0.01, 0.01, 0.003, 0.005, 0.002),
    "daily": (0.875, 0.05, 0.04, 0.01, 0.02, 0.005),
}


def _own_arrival(
    rng: random.Random, spec: Spec, p: Period, forced_on_time: bool
) -> datetime | None:
    frequent = spec.frequency == "hourly" or spec.cron.startswith(("*/", "0 */", "30 */"))
    weights = ODDS["frequent" if frequent else "daily"]
    outcome = "on_time" if forced_on_time else rng.choices(
        ["on_time", "early", "slight", "just_late", "breached", "missing"], weights)[0]
    delay = spec.max_delay.total_seconds()
    lead = (p.expected - p.window_start).total_seconds()
    if outcome == "early" and lead > 60:
        at = p.expected - timedelta(seconds=rng.uniform(0.05, 0.6) * lead)
    elif outcome == "slight":
        at = p.deadline - timedelta(seconds=rng.uniform(1, max(2.0, 0.1 * delay)))
    elif outcome == "just_late":
        at = p.deadline + timedelta(seconds=rng.uniform(1, 50))
    elif outcome == "breached":
        at = p.deadline + timedelta(minutes=rng.uniform(15, 120))
    elif outcome == "missing":
        return None
    else:
        at = p.expected + timedelta(seconds=rng.uniform(0, 0.6) * delay)
    return at.replace(microsecond=0)


def _topological(cs: dict[str, Contract]) -> list[str]:
    done: list[str] = []

    def visit(c: str) -> None:
        if c in done:
            return
        for u in cs[c].upstream:
            visit(u)
        done.append(c)

    for c in sorted(cs):
        visit(c)
    return done


def generate(window: Window, seed: int, tiny: bool) -> World:
    rng = random.Random(f"{seed}:{window.name}")
    world = World(window, seed, contracts(tiny), outages=_incidents(window, tiny))
    begin, end = window.start - HISTORY, window.end + DAY
    by_contract: dict[str, list[Outage]] = {}
    for o in world.outages:
        by_contract.setdefault(o.contract, []).append(o)
    for cid in _topological(world.contracts):
        c = world.contracts[cid]
        if c.spec.frequency == "age":
            arrivals: list[datetime] = []
            t = begin
            while t < end:
                arrivals.append(t.replace(microsecond=0))
                t += c.every + timedelta(seconds=rng.uniform(-0.1, 0.1) * c.every.total_seconds())
        else:
            arrivals = []
            ps = periods(c.spec, begin, end)
            world.periods[cid] = (ps, [p.expected for p in ps])
            for p in ps:
                if not begin <= p.expected < end or not is_expected(c.spec, p):
                    continue  # a calendar's day off: the pipeline does not run
                history = p.deadline < window.start or p.expected < window.start
                at = _own_arrival(rng, c.spec, p, forced_on_time=history)
                if at is None:
                    continue
                at = _after_upstream(world, c, at, rng)
                arrivals.append(at)
        world.updates[cid] = _apply_outages(sorted(arrivals), by_contract.get(cid, []))
    return world


def _after_upstream(world: World, c: Contract, at: datetime, rng: random.Random) -> datetime:
    """A load runs once the upstream data it reads (each upstream's current period) is in."""
    for _ in range(50):  # a fixed point: waiting for one upstream may meet another's period
        wait = at
        for u in c.upstream:
            spec = world.contracts[u].spec
            if spec.frequency == "age":
                continue
            ps, expected = world.periods[u]
            k = bisect.bisect_right(expected, at) - 1
            if k < 0:
                continue
            current = ps[k]
            if not is_expected(spec, current):
                continue  # the upstream does not load today: nothing to wait for
            ups = world.updates[u]
            i = bisect.bisect_left(ups, current.window_start)
            if i < len(ups) and ups[i] > at:
                wait = max(wait, ups[i] + timedelta(minutes=rng.uniform(2, 8)))
        if wait == at:
            return at
        at = wait.replace(microsecond=0)
    return at


def _apply_outages(arrivals: list[datetime], outages: list[Outage]) -> list[datetime]:
    for o in outages:
        inside = [a for a in arrivals if o.start <= a < o.end]
        if inside:
            arrivals = [a for a in arrivals if not o.start <= a < o.end] + [o.end]
    return sorted(set(arrivals))


# ---------------------------------------------------------------------- the registry
def _minutes(td: timedelta) -> str:
    return f"{int(td.total_seconds() // 60)} minutes"


def _sla_yaml(spec: Spec) -> str:
    if spec.frequency == "age":
        parts = []
        if spec.warn_after:
            parts.append(f'warn_after: "{_minutes(spec.warn_after)}"')
        if spec.error_after:
            parts.append(f'error_after: "{_minutes(spec.error_after)}"')
        return "freshness: {" + ", ".join(parts) + "}\n"
    delay = _minutes(spec.max_delay)
    if spec.frequency == "cron":
        return (f'sla: {{update_frequency: cron, cron: "{spec.cron}", '
                f'timezone: {spec.timezone}, max_delay: "{delay}"}}\n')
    if spec.frequency == "hourly":
        at = f":{spec.at.minute:02d} {spec.timezone}"
    else:
        at = f"{spec.at:%H:%M} {spec.timezone}"
    calendar = ""
    if spec.days or spec.holidays:
        days = ", ".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in
                         (spec.days or range(7)))
        off = ", ".join(d.isoformat() for d in spec.holidays)
        calendar = f", calendar: {{days: [{days}], holidays: [{off}]}}"
    return (f'sla: {{update_frequency: {spec.frequency}, update_time: "{at}", '
            f'max_delay: "{delay}"{calendar}}}\n')


def write_registry(world: World, root: Path) -> None:
    lines = ["teams:"]
    for tid, (name, channel, member) in TEAMS.items():
        lines += [f"  - id: {tid}", f"    name: {name}",
                  f'    slack: {{usergroup: {{id: S0{member[3:9]}}}, oncall_channel: "{channel}"}}',
                  f"    members: [{{name: On-call {name}, slack: {member}}}]",
                  f"    oncall: {{members: [{member}], period: weekly, timezone: UTC, "
                  "start: 2026-01-05}"]
    lines.append("assets:")
    for c in world.contracts.values():
        up = f", upstream: [{', '.join(c.upstream)}]" if c.upstream else ""
        lines.append(f"  - {{id: {c.id}, kind: {KINDS[c.owner]}, owner: {c.owner}, "
                     f"runbook: https://wiki.example.com/{c.id}{up}}}")
    (root / "contracts").mkdir(parents=True, exist_ok=True)
    (root / "teams.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for c in world.contracts.values():
        body = (f"data_source: {c.id}\nowner_team: {c.owner}\n" + _sla_yaml(c.spec) +
                "probe: {sql: {connection: WAREHOUSE_URL, table: loads, "
                f"timestamp_column: loaded_at, filter: \"name = '{c.id}'\"}}}}\n")
        (root / "contracts" / f"{c.id}.yaml").write_text(body, encoding="utf-8")
