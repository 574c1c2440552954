"""CLI commands of the change policy and the foreign formats: `demarc diff`, `demarc drift`,
`demarc notices`, `demarc ingest-dbt-results`."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.cli.exit_codes import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_PROBLEMS,
    Subcommands,
    UsageError,
    database_errors,
    unknown_ids,
)
from bot.cli.load import load_or_explain, registry_arg
from bot.freshness.report import STATE_WORDS, exit_code, stamp, table
from bot.probes.runner import ProbeResult
from bot.settings import database_url
from ownership.errors import InvalidValue
from ownership.model import Probe, SqlProbe


def _database_url(value: str | None) -> str:
    return database_url(value)


def parse_day(value: str | None, flag: str = "--today") -> date | None:
    """An ISO date argument, or UsageError naming the flag."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} {value[:60]!r} is not a date; write e.g. 2026-12-01") from None


def cmd_diff(args: argparse.Namespace) -> int:
    from bot.cli.diff import default_today, run  # lazy: the diff machinery, for diff only

    today = parse_day(args.today) or default_today()
    return run(
        args.old, args.new, registry=registry_arg(args.registry), today=today, as_json=args.json
    )


def cmd_drift(args: argparse.Namespace) -> int:
    """Inspect each contract's live table now and print the drift; records and posts nothing."""
    # Lazy, as in each database command here: SQLAlchemy is ~0.3 s that diff/notices skip.
    from bot.changes.drift import TableInspector, checkable
    from ownership.drift import compare_schema

    result = load_or_explain(registry_arg(args.registry))
    if result.registry is None:
        return EXIT_PROBLEMS
    unknown_ids(args.contract or (), result.registry.contracts, "contract")
    inspector = TableInspector(os.environ)
    rows, drifted, failed = [], False, False
    try:
        for contract in sorted(result.registry.contracts.values(), key=lambda c: c.id):
            if (args.contract and contract.id not in args.contract) or not checkable(contract):
                continue
            assert isinstance(contract.probe, SqlProbe)  # checkable() said so
            live = inspector.columns(contract.probe)
            if live.error:
                failed = True
                rows.append([contract.id, "check failed", live.error])
                continue
            drifts = compare_schema(contract.schema, live.columns)
            drifted = drifted or bool(drifts) or live.missing
            words = "table is missing" if live.missing else "; ".join(d.words() for d in drifts)
            rows.append([contract.id, "drift" if drifts else "ok", words])
    finally:
        inspector.close()
    print(table(["contract", "schema", "detail"], rows) if rows else "no contract to check")
    return EXIT_CHECK_FAILED if failed else (EXIT_PROBLEMS if drifted else EXIT_OK)


def cmd_notices(args: argparse.Namespace) -> int:
    """List the registry's change notices with their effective dates and what is due."""
    from bot.changes.notices import due_kinds  # lazy: it brings SQLAlchemy (~0.3 s)
    from ownership.changes import effective_date

    result = load_or_explain(registry_arg(args.registry))
    if result.registry is None:
        return EXIT_PROBLEMS
    today = parse_day(args.today) or datetime.now(UTC).date()
    rows = []
    for notice in sorted(result.registry.change_notices, key=lambda n: n.announced):
        contract = result.registry.contracts.get(notice.contract)
        effective = effective_date(notice, contract)
        channel = (contract.change_policy.channel if contract else None) or "-"
        due = ", ".join(due_kinds(notice, effective, today)) or "-"
        rows.append([notice.id, str(notice.announced), str(effective), channel, due])
    if not rows:
        print("no change notices")
        return EXIT_OK
    print(table(["notice", "announced", "effective", "channel", "due by today"], rows))
    return EXIT_OK


def cmd_ingest_dbt(args: argparse.Namespace) -> int:
    """Feed dbt's sources.json into the freshness alerts (via the database's outbox)."""
    # Lazy: the database (SQLAlchemy, Alembic) is for this command only.
    from bot.cli.dbt_tests import ingest_run_results
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.freshness.dbt_results import ingest, read_results, too_old
    from bot.freshness.service import FreshnessService
    from bot.incidents.links import tell_incidents_data_recovered
    from bot.quality.dbt_tests import read_json
    from ownership.formats.dbt_run_results import is_run_results

    try:
        data = read_json(Path(args.path))
    except InvalidValue as exc:
        raise UsageError(str(exc)) from exc
    if is_run_results(data):  # `dbt test` / `dbt build`: the tests are quality checks
        return ingest_run_results(args, data)
    result = load_or_explain(registry_arg(args.registry))
    if result.registry is None:
        return EXIT_PROBLEMS
    registry = result.registry
    try:
        generated, results = read_results(Path(args.path))
    except InvalidValue as exc:
        raise UsageError(str(exc)) from exc
    now = datetime.now(UTC)
    if not 0 < args.max_age_hours < 24 * 3660:
        raise UsageError(f"--max-age-hours {args.max_age_hours:g} must be positive")
    max_age = timedelta(hours=args.max_age_hours)
    if too_old(generated, now, max_age):
        raise UsageError(
            f"{args.path} was generated at {generated}, more than "
            f"{args.max_age_hours:g} h ago; run `dbt source freshness` again (or --max-age-hours)"
        )
    url = _database_url(args.database_url)

    def no_probes(jobs: list[tuple[str, Probe]]) -> dict[str, ProbeResult]:
        return {}

    with database_errors(url):
        upgrade(url)
        engine = make_engine(url)
        try:
            service = FreshnessService(
                engine,
                lambda: registry,
                no_probes,
                on_recovered=tell_incidents_data_recovered,
            )
            done = ingest(service, registry, results)
        finally:
            engine.dispose()
    rows = []
    for item in done:
        state = STATE_WORDS.get(item.state.value, item.state.value) if item.state else "unknown"
        rows.append(
            [
                item.result.contract_id,
                item.result.status,
                state,
                stamp(item.result.max_loaded_at),
                item.action or item.detail,
            ]
        )
    print(table(["contract", "dbt", "demarc", "max_loaded_at", "detail"], rows))
    return exit_code([i.state for i in done if i.state is not None])


def add_change_parsers(sub: Subcommands) -> None:
    p = sub.add_parser(
        "diff",
        help="classify contract changes between two registries or git revisions; "
        "exit 1 on a breaking change whose notice period has not passed",
    )
    p.add_argument("old", help="registry directory/file, or a git revision (e.g. origin/main)")
    p.add_argument("new", help="registry directory/file, or a git revision (e.g. HEAD)")
    p.add_argument(
        "--registry",
        help="the registry directory inside the repository, for git revisions "
        "(default: $DEMARC_REGISTRY or registry)",
    )
    p.add_argument("--today", help="judge notice periods as of this date (default: today, UTC)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "drift", help="compare each contract's live table with its schema now; exit 1 on drift"
    )
    p.add_argument("--contract", action="append", help="only this contract (repeatable)")
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("notices", help="the registry's change notices and their effective dates")
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.add_argument("--today", help="as of this date (default: today, UTC)")
    p.set_defaults(func=cmd_notices)

    p = sub.add_parser(
        "ingest-dbt-results",
        help="alert on a `dbt source freshness` run: read target/sources.json into the "
        "freshness alerts",
    )
    p.add_argument(
        "path",
        help="dbt's target/sources.json, or target/run_results.json (its tests: quality checks)",
    )
    p.add_argument(
        "--manifest",
        help="dbt's target/manifest.json: which source table each test checks (default: from "
        "the tests' names)",
    )
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.add_argument("--database-url", help="default: $DEMARC_DATABASE_URL")
    p.add_argument(
        "--max-age-hours",
        type=float,
        default=24.0,
        help="refuse results generated longer ago than this (default 24)",
    )
    p.set_defaults(func=cmd_ingest_dbt)
