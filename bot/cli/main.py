"""`demarc` command line: validate, whoowns, demo, serve, db upgrade, incident export."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.changes import add_change_parsers
from bot.cli.check import cmd_check
from bot.cli.exit_codes import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    ArgumentParser,
    UsageError,
    database_errors,
    run,
)
from bot.cli.incidents import add_incident_parser
from bot.cli.load import (
    cached_load,
    finish_cache_writes,
    load_or_explain,
    problem_lines,
    registry_arg,
    unusable,
)
from bot.cli.report import add_report_parser
from bot.freshness.report import STATE_WORDS, stamp, table
from bot.settings import database_url, registry_path
from ownership.loader import LoadResult, guarded_load

__all__ = ["EXIT_CHECK_FAILED", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_USAGE", "main"]
NO_CACHE_HELP = "read every registry file, not the parse cache (docs/registry.md)"


def cmd_codeowners(args: argparse.Namespace) -> int:
    from bot.cli.codeowners import expected_section

    path = registry_path(str(args.registry) if args.registry else None)
    result = guarded_load(path)
    unusable(path, result)
    if result.registry is None:
        for line in problem_lines(result.errors):
            print(line, file=sys.stderr)
        return EXIT_PROBLEMS
    print("\n".join(expected_section(result.registry, path)))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from bot.cli.codeowners import codeowners_warnings

    lenient = True if args.lenient else None
    result = cached_load(args.registry, use_cache=not args.no_cache, lenient=lenient)
    unusable(args.registry, result)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "file": p.where.file,
                        "line": p.where.line,
                        "column": p.where.column,
                        "severity": p.severity.value,
                        "code": p.code,
                        "message": p.message,
                        "kind": p.kind.value,
                        "cause": p.cause,
                    }
                    for p in result.problems
                ],
                indent=2,
            )
        )
    else:
        for line in problem_lines(result.problems):
            print(line)
    owners = codeowners_warnings(result.registry, args.registry) if result.registry else []
    for line in owners if not args.json else ():
        print(line)
    errors, warnings = len(result.errors), len(result.warnings) + len(owners)
    sys.stdout.flush()
    if not args.json:
        verdict = "invalid" if errors else "valid"
        if not errors and args.strict and warnings:
            verdict = "valid, but --strict fails on warnings"
        print(
            f"{args.registry}: {verdict}: {errors} error(s), {warnings} warning(s)", file=sys.stderr
        )
    if errors or (args.strict and warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _parse_at(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--at {value[:60]!r} is not an ISO time; write e.g. 2026-12-25T12:00+00:00"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def cmd_whoowns(args: argparse.Namespace) -> int:
    # Lazy, as each command's own modules: `demarc check` imports only what it uses.
    from bot.text.render_json import answer_to_json
    from bot.text.render_text import render_text
    from ownership.answers import NotFound, who_owns

    result = load_or_explain(
        registry_arg(args.registry), lenient=args.lenient, use_cache=not args.no_cache
    )
    if result.registry is None:
        return EXIT_PROBLEMS
    answer = who_owns(result.registry, " ".join(args.query), _parse_at(args.at))
    if args.json:
        print(json.dumps(answer_to_json(answer), indent=2))
    else:
        print(render_text(answer))
    return EXIT_PROBLEMS if isinstance(answer, NotFound) else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    # Lazy: the demo builds a database and the Slack adapters; validate/whoowns need neither.
    from bot.demo.shell import run_shell

    path = registry_arg(args.registry or "examples/registry")
    loaded = load_or_explain(path)  # one that does not load: its errors on stderr, exit 3
    if args.history is not None:
        return demo_history(args.history, loaded, args.month)
    return run_shell(path, sys.stdin, sys.stdout)


def demo_history(url: str, loaded: LoadResult, month_text: str) -> int:
    """`demarc demo --history URL`: upgrade URL, write the demo month into it."""
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.demo.history import seed_history
    from ownership.reports.windows import month

    try:
        window = month(month_text)
    except ValueError as exc:
        raise UsageError(f"--month: {exc}") from None
    assert loaded.registry is not None
    with database_errors(url):
        upgrade(url)
        engine = make_engine(url)
        try:
            late = seed_history(engine, loaded.registry, window)
        finally:
            engine.dispose()
    print(
        f"wrote {month_text}'s demo history ({late} late periods); now run "
        f"`demarc report --month {month_text} --database-url {url} --registry <registry>`",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    # Lazy: SQLAlchemy, Alembic and slack_sdk cost ~0.3 s that validate/whoowns do not need.
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot.cli.render_dead_letters import render_dead_letters
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.db.models import ContractStatus, QualityStatus
    from bot.quality.state import quality_words

    url = database_url(args.database_url)
    with database_errors(url):
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            statuses = list(
                session.scalars(select(ContractStatus).order_by(ContractStatus.contract_id))
            )
            quality = {
                q.contract_id: quality_words(q) for q in session.scalars(select(QualityStatus))
            }
        letters = render_dead_letters(engine)
        engine.dispose()
    if not statuses:
        print("no checks recorded yet: run `demarc serve` (or `demarc demo`) first")
        if letters:
            print("\n" + letters)
        return EXIT_OK
    rows = [
        [
            s.contract_id,
            STATE_WORDS.get(s.state, s.state),
            stamp(s.last_update),
            stamp(s.checked_at),
            stamp(s.next_check_at),
            (s.last_error or "")[:60],
            quality.get(s.contract_id, "-")[:70],
        ]
        for s in statuses
    ]
    headers = ["contract", "state", "last update", "checked", "next check", "error", "quality"]
    print(table(headers, rows))
    if letters:
        print("\n" + letters)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    # Lazy: serve loads Bolt, SQLAlchemy and APScheduler, which no other command needs.
    from bot.cli.serve import serve

    return serve(port=args.port)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    # Lazy: Alembic and SQLAlchemy, ~0.3 s, only for the database commands.
    from bot.db.migrate import upgrade

    url = database_url(args.database_url)
    with database_errors(url):
        upgrade(url)
    print("database is at the latest revision", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="demarc",
        description="Who owns what between Data Engineering and MLOps, from YAML in git.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a registry directory; exit 1 on errors")
    p.add_argument("registry", type=Path, help="registry directory (or one file)")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--json", action="store_true", help="problems as JSON")
    p.add_argument(
        "--lenient",
        action="store_true",
        help="ODCS/dbt files that break their schema load, with warnings (docs/formats.md)",
    )
    p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "codeowners", help="the CODEOWNERS section: contract files to their owner team's handle"
    )
    p.add_argument("registry", type=Path, nargs="?", default=None, help="registry directory")
    p.set_defaults(func=cmd_codeowners)

    p = sub.add_parser("whoowns", help="who owns an asset or activity")
    p.add_argument("query", nargs="+", help="asset id, alias or activity")
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--at", help="answer as of this ISO time (default: now)")
    p.add_argument("--lenient", action="store_true", help="load as `validate --lenient` does")
    p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    p.set_defaults(func=cmd_whoowns)

    p = sub.add_parser("check", help="probe every contract now; exit 0 on time, 1 late, 2 failed")
    p.add_argument("--contract", action="append", help="only this contract (repeatable)")
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.add_argument("--threads", type=int, default=8, help="probes run in parallel (default 8)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds for the whole sweep")
    p.add_argument("--json", action="store_true", help="each contract's state and last update")
    p.add_argument(
        "--at", help="judge as of this ISO time (the data is read as it is now; default: now)"
    )
    p.add_argument(
        "--quality",
        action="store_true",
        help="also run the data quality checks on the current period's rows (docs/quality.md)",
    )
    p.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("status", help="each contract's last known state and next check")
    p.add_argument("--database-url", help="default: $DEMARC_DATABASE_URL")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("demo", help="try the bot in the terminal on the example registry")
    p.add_argument("--registry", help="registry directory (default: examples/registry)")
    p.add_argument(
        "--history", metavar="DATABASE_URL",
        help="instead: write a month of demo history there, for `demarc report --month`",
    )
    p.add_argument("--month", default="2026-11", help="the month --history writes (2026-11)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "serve", help="run the Slack bot (HTTP, or Socket Mode with SLACK_APP_TOKEN)"
    )
    p.add_argument("--port", type=int, help="HTTP port (default: $PORT or 3000)")
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    p = dbsub.add_parser("upgrade", help="apply migrations (Alembic) up to the latest")
    p.add_argument("--database-url", help="default: $DEMARC_DATABASE_URL")
    p.set_defaults(func=cmd_db_upgrade)

    add_incident_parser(sub)
    add_report_parser(sub)
    add_change_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error becomes one line and an exit code (bot/cli/exit_codes.py)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0), or a usage error already printed in one line (3)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    command = " ".join(
        str(part)
        for part in (args.command, getattr(args, "db_command", None),
                     getattr(args, "incident_command", None))
        if part
    )
    try:
        return run("demarc ", command, lambda: int(args.func(args)))
    finally:
        finish_cache_writes()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
