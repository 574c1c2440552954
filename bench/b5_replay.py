"""B5 signal replay: a month of deliveries through the real freshness service, against the truth.

The world (bench/replay/world.py): 49 contracts of four teams; daily, hourly, cron and age
SLAs in UTC and Europe/Berlin; lineage chains of depth 4 and a diamond; max_delay shorter than,
equal to and longer than the period; on-time, early, slightly late, breached and missing loads
from a seeded RNG, plus scripted outages aimed at issue 9's defects. It is replayed over a
30-day window crossing a DST change (spring: 2026-03-16 → 04-15, autumn: 2026-10-11 → 11-10)
on a fake clock through the real FreshnessService (SQL probes on a SQLite warehouse whose rows
appear as the clock passes them) and the real outbox (to a fake Slack Web API on loopback),
driven two ways: a fixed sweep every N minutes, and the scheduler's own timing
(FreshnessScheduler.run_check at each contract's next_check_at). The ground truth
(bench/replay/truth.py) is computed from docs/freshness.md alone, not by demarc's SLA code.

Targets (issue 9, "Done when"): recall 100% of breaches open at their first check, 0 false
alarms, every alert within one check interval of its deadline, exactly one root per incident,
no downstream folded into an upstream that broke after it, every recovery seen within one
re-check interval, no check loop faster than the configured interval.

    .venv/bin/python -m bench.b5_replay                 # spring window, both modes
    .venv/bin/python -m bench.b5_replay --window both   # spring and autumn
    .venv/bin/python -m bench.b5_replay --tiny          # 11 contracts, 4 days (CI)
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Verdicts, parser, pg_url, print_header
from bench.replay import metrics
from bench.replay.driver import replay
from bench.replay.world import AUTUMN, AUTUMN_TINY, SPRING, SPRING_TINY, Window, generate

SHOWN = 6  # examples listed per failed target
# SQLite commits on tmpfs cost no fsync: the replay measures demarc's logic, not the disk
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x * 100:.1f}%"


def _min(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.1f} min"


def _examples(items: list[str]) -> str:
    if not items:
        return ""
    more = f" … and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return "; ".join(items[:SHOWN]) + more


def print_table(r: dict[str, Any]) -> None:
    lat, rec = r["latency"], r["recovery"]
    rows = [
        ("breaches (in scope / open at first check / alerted)",
         f"{r['breaches_in_scope']} / {r['breaches_open_at_first_check']} / {r['alerted']}"),
        ("recall", _pct(r["recall"])),
        ("false alarms", str(len(r["false_alarms"]))),
        ("alert latency after the breach (median / p95 / max)",
         f"{_min(lat['median_min'])} / {_min(lat['p95_min'])} / {_min(lat['max_min'])}"),
        ("roots posted / per paged breach", f"{r['roots']} / {r['roots_per_paged_breach']:.2f}"
         if not math.isnan(r["roots_per_paged_breach"]) else f"{r['roots']} / n/a"),
        ("Slack calls: roots · thread replies · edits",
         f"{r['roots']} · {r['replies']} · {r['edits']}"),
        ("downstream breaches folded (own root later) / paged separately",
         f"{r['folded']} ({r['promoted']}) / {r['paged_downstream']}"),
        ("should fold, paged · should page, folded · wrong folds",
         f"{len(r['should_fold_but_paged'])} · {len(r['should_page_but_folded'])} · "
         f"{len(r['wrong_folds'])} ({r['borderline_not_judged']} borderline not judged)"),
        ("recovery latency (median / p95 / max)",
         f"{_min(rec['median_min'])} / {_min(rec['p95_min'])} / {_min(rec['max_min'])}"
         f" (n={rec['n']}, never seen {len(r['recoveries_never_seen'])})"),
        ("checks · max per contract per hour (limit)",
         f"{r['checks']} · {r['max_checks_per_contract_hour']} {r['max_checks_contract']} "
         f"({r['checks_per_hour_limit']})"),
        ("errors logged · check-failed alerts · outbox left",
         f"{r['errors_logged']} · {r['check_failed_alerts']} · {r['outbox_left']}"),
        *_foresight_rows(r["foresight"]),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"   | {k:<{width}} | {v}")
    sys.stdout.flush()


def _foresight_rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    """Issue 13: warnings before the breach, and silence off the calendar."""
    return [
        ("caused downstream breaches (with lag history) / warned before the deadline",
         f"{f['caused']} ({f['caused_with_history']}) / {f['warned_in_time']}"),
        ("  of which not achievable (upstream first seen late after the deadline)",
         str(len(f["not_warnable"]))),
        ("warning lead time (median / min)",
         f"{_min(f['lead_median_min'])} / {_min(f['lead_min_min'])}"),
        ("warnings posted · false warnings (on time by > 1 interval)",
         f"{f['warnings']} · {len(f['false_warnings'])}"),
        ("late alerts on days the calendar does not expect", str(len(f["off_calendar_alerts"]))),
    ]


def judge_foresight(r: dict[str, Any], verdicts: Verdicts, label: str) -> None:
    f = r["foresight"]
    checks = [
        ("0 alerts on not-expected days "
         f"({len(f['off_calendar_alerts'])})", not f["off_calendar_alerts"],
         f["off_calendar_alerts"]),
        ("every warnable caused downstream breach with lag history warned before its deadline "
         f"({f['warned_in_time']}/{f['caused_with_history'] - len(f['not_warnable'])}; "
         f"{len(f['not_warnable'])} not achievable: upstream first seen late after the deadline)",
         None if not f["caused_with_history"] else not f["not_warned_in_time"],
         f["not_warned_in_time"]),
        (f"0 false warnings ({len(f['false_warnings'])})", not f["false_warnings"],
         f["false_warnings"]),
    ]
    for what, met, examples in checks:
        verdicts.check(f"{label}: {what}", met)
        if met is False and examples:
            print(f"      e.g. {_examples(examples)}")


def judge(r: dict[str, Any], verdicts: Verdicts, label: str) -> None:
    interval = f"{r['interval_min']:.0f} min"
    checks = [
        (f"recall 100% of breaches open at their first check ({_pct(r['recall'])})",
         r["recall"] == 1 or math.isnan(r["recall"]), r["missed"]),
        (f"0 false alarms ({len(r['false_alarms'])})", not r["false_alarms"],
         r["false_alarms"]),
        (f"every alert within one check interval, {interval} (max {_min(r['latency']['max_min'])})",
         not r["alerts_later_than_interval"], r["alerts_later_than_interval"]),
        (f"exactly one root per incident ({len(r['breaches_with_several_roots'])} with more; "
         f"{len(r['should_fold_but_paged'])} paged though their upstream's alert was open)",
         not r["breaches_with_several_roots"] and not r["should_fold_but_paged"],
         r["breaches_with_several_roots"] + r["should_fold_but_paged"]),
        (f"no downstream folded into an upstream that broke after it ({len(r['wrong_folds'])})",
         not r["wrong_folds"], r["wrong_folds"]),
        (f"every recovery seen within one re-check interval, {interval} "
         f"(max {_min(r['recovery']['max_min'])}; never {len(r['recoveries_never_seen'])})",
         not r["recoveries_slower_than_interval"] and not r["recoveries_never_seen"],
         r["recoveries_slower_than_interval"] + r["recoveries_never_seen"]),
        (f"no check loop faster than the interval (max {r['max_checks_per_contract_hour']}/h, "
         f"limit {r['checks_per_hour_limit']}/h)", not r["check_loops"],
         [f"{c} (every {r['loop_fastest_gap_s'].get(c, 0):.0f} s)" for c in r["check_loops"]]),
    ]
    for what, met, examples in checks:
        verdicts.check(f"{label}: {what}", met)
        if not met and examples:
            print(f"      e.g. {_examples(examples)}")


def windows(name: str, tiny: bool) -> list[Window]:
    spring, autumn = (SPRING_TINY, AUTUMN_TINY) if tiny else (SPRING, AUTUMN)
    return {"spring": [spring], "autumn": [autumn], "both": [spring, autumn]}[name]


def _postgres_schema() -> tuple[str, Any]:
    """A schema of its own on PostgreSQL for demarc's tables; (url, drop)."""
    from sqlalchemy import create_engine, text

    base = pg_url().replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"demarc_bench_b5_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1, help="the RNG seed of the deliveries")
    p.add_argument("--window", choices=["spring", "autumn", "both"], default="spring")
    p.add_argument("--mode", choices=["sweep", "scheduler", "both"], default="both")
    p.add_argument("--sweep-minutes", type=float, default=60.0,
                   help="the fixed sweep's interval (fake minutes)")
    p.add_argument("--sweep-days", type=float, default=10.0,
                   help="days of the window the sweep replays (it checks every contract at "
                        "every sweep, so a month of it takes long; 30: the whole window)")
    p.add_argument("--recheck-minutes", type=float, default=10.0,
                   help="DEMARC_RECHECK_SECONDS of the service, in minutes")
    p.add_argument("--postgres", action="store_true",
                   help="demarc's database on PostgreSQL (BENCH_PG_URL …) instead of SQLite")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = p.parse_args(argv)
    if args.tiny:
        args.sweep_minutes = min(args.sweep_minutes, 30.0)
    print_header("B5 signal replay: deliveries on a fake clock through the real freshness "
                 "service and outbox, against ground truth from docs/freshness.md",
                 ["demarc", "sqlalchemy", "slack_sdk"])
    verdicts = Verdicts()
    results = []
    modes = ["sweep", "scheduler"] if args.mode == "both" else [args.mode]
    for window in windows(args.window, args.tiny):
        world = generate(window, args.seed, args.tiny)
        loads = sum(len(v) for v in world.updates.values())
        print(f"-- {window.name} window {window.start:%Y-%m-%d %H:%M} → "
              f"{window.end:%Y-%m-%d %H:%M} UTC ({window.days} days; {window.change}); "
              f"{len(world.contracts)} contracts, {loads} loads, seed {args.seed}, "
              f"{len(world.outages)} scripted outages")
        for mode in modes:
            interval = timedelta(minutes=args.sweep_minutes if mode == "sweep"
                                 else args.recheck_minutes)
            span = min(args.sweep_days, window.days)
            what = (f"sweep every {args.sweep_minutes:g} min, first {span:g} days"
                    if mode == "sweep" else
                    f"scheduler timing, re-check {args.recheck_minutes:g} min")
            drop = None
            url = None
            if args.postgres:
                url, drop = _postgres_schema()
            try:
                with tempfile.TemporaryDirectory(prefix="demarc-b5-", dir=SCRATCH) as tmp:
                    obs = replay(world, mode, Path(tmp), sweep=interval,
                                 recheck=timedelta(minutes=args.recheck_minutes),
                                 database_url=url,
                                 days=args.sweep_days if mode == "sweep" else None)
            finally:
                if drop is not None:
                    drop()
            r = metrics.evaluate(world, obs)
            r.update(window=window.name, seed=args.seed, contracts=len(world.contracts),
                     database="postgresql" if args.postgres else "sqlite")
            print(f"   mode {mode} ({what}): {r['checks']} checks in {r['wall_seconds']} s "
                  f"({r['cpu_seconds']} s CPU)")
            print_table(r)
            judge(r, verdicts, f"{window.name}/{mode}")
            judge_foresight(r, verdicts, f"{window.name}/{mode}")
            results.append(r)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    summary = [{k: r[k] for k in ("window", "mode", "recall", "alerted",
                                  "breaches_open_at_first_check", "roots", "folded",
                                  "checks", "wall_seconds", "cpu_seconds")}
               | {"false_alarms": len(r["false_alarms"]), "wrong_folds": len(r["wrong_folds"]),
                  "latency_max_min": r["latency"]["max_min"],
                  "recovery_max_min": r["recovery"]["max_min"],
                  "max_checks_per_contract_hour": r["max_checks_per_contract_hour"],
                  "caused_with_history": r["foresight"]["caused_with_history"],
                  "warned_in_time": r["foresight"]["warned_in_time"],
                  "lead_median_min": r["foresight"]["lead_median_min"],
                  "lead_min_min": r["foresight"]["lead_min_min"],
                  "false_warnings": len(r["foresight"]["false_warnings"]),
                  "not_warnable": len(r["foresight"]["not_warnable"]),
                  "off_calendar_alerts": len(r["foresight"]["off_calendar_alerts"])}
               for r in results]
    print("RESULTS " + json.dumps(summary, default=str))
    verdicts.print_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
