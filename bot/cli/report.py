"""`demarc report`: SLA figures (docs/reports.md) for a month or days, as text/JSON/CSV/HTML."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta

from bot.cli.exit_codes import EXIT_OK, Subcommands, UsageError, database_errors
from bot.cli.load import load_or_explain, registry_arg
from bot.settings import database_url, redact_url
from ownership.reports.windows import Window, month, weeks


def add_report_parser(sub: Subcommands) -> None:
    """Add `report` to the `demarc` command line."""
    p = sub.add_parser("report", help="SLA figures per contract and team (docs/reports.md)")
    p.add_argument("--month", help="a calendar month, e.g. 2026-11 (UTC)")
    p.add_argument("--since", help="first UTC day, e.g. 2026-11-01")
    p.add_argument("--until", help="the day after the last, e.g. 2026-12-01 (default: tomorrow)")
    p.add_argument("--team", help="only this team's contracts (owned or consumed) and figures")
    p.add_argument("--format", choices=("text", "json", "csv", "html"), default="text")
    p.add_argument("--database-url", help="default: $DEMARC_DATABASE_URL")
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.set_defaults(func=cmd_report)


def _day(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a date YYYY-MM-DD, e.g. 2026-11-01") from None


def window_of(args: argparse.Namespace, today: date) -> Window:
    """The window the flags name; the current month so far when none is given."""
    if args.month is not None:
        if args.since is not None or args.until is not None:
            raise UsageError("give --month or --since/--until, not both")
        try:
            return month(args.month)
        except ValueError as exc:
            raise UsageError(f"--month: {exc}") from None
    since = _day("--since", args.since) if args.since else today.replace(day=1)
    until = _day("--until", args.until) if args.until else today + timedelta(days=1)
    if until <= since:
        raise UsageError(f"--until {until} must be after --since {since}")
    return Window(since, until)


def cmd_report(args: argparse.Namespace) -> int:
    # Lazy: SQLAlchemy is for this command only.
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    from bot.db.engine import make_engine
    from bot.reports.read import read_report
    from bot.reports.render import render

    now = datetime.now(UTC)
    window = window_of(args, now.date())
    registry = load_or_explain(registry_arg(args.registry)).registry
    assert registry is not None
    if args.team is not None and args.team not in registry.teams:
        known = ", ".join(sorted(registry.teams)) or "none"
        raise UsageError(f"--team {args.team!r}: no such team (teams: {known})")
    url = database_url(args.database_url)
    with database_errors(url):
        engine = make_engine(url)
        try:
            if "check_rollups" not in inspect(engine).get_table_names():
                raise UsageError(
                    f"no check history in {redact_url(url)} (is it demarc's database? "
                    "`demarc db upgrade` creates the tables)"
                )
            with Session(engine) as session:
                report = read_report(session, registry, window, now, args.team)
                weekly = [read_report(session, registry, w, now, args.team) for w in weeks(window)]
        finally:
            engine.dispose()
    sys.stdout.write(render(report, weekly, args.format))
    return EXIT_OK
