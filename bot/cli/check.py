"""`demarc check`: probe every contract now and print its verdict; records and posts nothing."""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from typing import Any

from bot.cli.exit_codes import UsageError, unknown_ids
from bot.cli.load import load_or_explain, registry_arg
from bot.cli.upstreams import upstream_jobs, upstream_read
from bot.freshness.judge import judge
from bot.freshness.report import STATE_WORDS, exit_code, stamp, table
from bot.probes import ProbeResult
from ownership.gc_pause import paused_gc
from ownership.sla import FreshnessState, evaluate_failed


def cmd_check(args: argparse.Namespace) -> int:
    """Probe now and print each contract's verdict; records nothing, posts nothing."""
    # Lazy: the serve wiring's own prober (so the two cannot drift apart).
    from bot.probes import make_prober

    result = load_or_explain(registry_arg(args.registry), use_cache=not args.no_cache)
    assert result.registry is not None  # load_or_explain raised otherwise
    unknown_ids(args.contract or (), result.registry.contracts, "contract")
    contracts = [
        c for c in result.registry.contracts.values() if not args.contract or c.id in args.contract
    ]
    at = None
    if args.at is not None:
        at = _check_instant(args.at)
        if at is None:
            raise UsageError(f"--at {args.at!r} is not an ISO 8601 time, e.g. 2026-11-25T02:31:00Z")
    prober = make_prober(os.environ, timeout=args.timeout, pool_size=args.threads)
    try:
        jobs = [(c.id, c.probe) for c in contracts if c.probe is not None]
        jobs += upstream_jobs(result.registry, contracts)  # event-relative SLAs need them
        with paused_gc():  # the first SQL probe imports its driver (psycopg) or SQLAlchemy
            results = prober.run(jobs, max_workers=args.threads, timeout=args.timeout)
    finally:
        prober.close()
    now = at or datetime.now(UTC)
    rows, states, updates = [], [], []
    for c in sorted(contracts, key=lambda c: c.id):
        if c.probe is None:  # nothing to check: listed, but it changes no exit code
            rows.append([c.id, "not checked", "-", "no probe: add one to check its freshness"])
            continue
        probe = results.get(c.id) or ProbeResult(error="probe lost")
        landing, waiting = upstream_read(c, results)
        try:
            verdict = judge(c, probe, now, landing)
        except Exception as exc:  # an SLA that cannot be evaluated is a failed check
            verdict = evaluate_failed(f"cannot evaluate the SLA: {exc}")
        states.append(verdict.state)
        updates.append(verdict.last_update)
        detail = waiting if waiting and verdict.state is FreshnessState.ON_TIME else verdict.summary
        if at is not None and verdict.future_timestamp:  # newer data than the instant asked
            detail = f"updated after {stamp(at)}: what was there at that time is not known"
        rows.append([c.id, STATE_WORDS[verdict.state.value], stamp(verdict.last_update), detail])
    quality: dict[str, list[Any]] = {}
    if args.quality:
        # Lazy: the quality measurements, only when asked for.
        from bot.quality.adhoc import measure_now, quality_exit, quality_json, quality_table

        quality = measure_now(contracts, now, os.environ, args.threads, args.timeout)
    if args.json:
        entries: list[dict[str, object]] = [
            {"contract": r[0], "state": s.value, "last_update": _iso(lu), "detail": r[3]}
            for r, s, lu in zip(
                [r for r in rows if r[1] != "not checked"], states, updates, strict=True
            )
        ]
        if args.quality:
            for entry in entries:
                entry["quality"] = quality_json(quality.get(str(entry["contract"])))
        print(json.dumps(entries, indent=2))
        if args.quality:
            return max(exit_code(states), quality_exit(quality))
    else:
        print(table(["contract", "state", "last update", "detail"], rows))
    if args.quality:
        print(quality_table(quality))
        return max(exit_code(states), quality_exit(quality))
    return exit_code(states)


def _check_instant(value: str) -> datetime | None:
    """`--at` for `check`: ISO 8601, UTC when it names no zone; None when unreadable."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at is not None else None
