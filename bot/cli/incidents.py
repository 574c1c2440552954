"""`demarc incident export ID`: the postmortem draft as Markdown, to stdout or a file."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.exit_codes import EXIT_OK, Subcommands, UsageError, database_errors
from bot.cli.load import registry_arg
from bot.settings import database_url, redact_url
from ownership.loader import guarded_load
from ownership.model import Registry


def add_incident_parser(sub: Subcommands) -> None:
    """Add `incident export` to the `demarc` command line."""
    incident = sub.add_parser("incident", help="incidents: export a postmortem draft")
    isub = incident.add_subparsers(dest="incident_command", required=True, metavar="COMMAND")
    p = isub.add_parser("export", help="write incident ID's postmortem draft as Markdown")
    p.add_argument("id", type=int, help="the incident number (as in Slack: #12)")
    p.add_argument("--database-url", help="default: $DEMARC_DATABASE_URL")
    p.add_argument(
        "--registry",
        help="registry directory, for contracts and lineage (default: $DEMARC_REGISTRY)",
    )
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")
    p.set_defaults(func=cmd_incident_export)


def cmd_incident_export(args: argparse.Namespace) -> int:
    # Lazy: SQLAlchemy (~0.3 s) is for this command only, not for validate/whoowns.
    from sqlalchemy import inspect

    from bot.db.engine import make_engine
    from bot.incidents.export import export_incident

    url = database_url(args.database_url)
    if args.output is not None and not args.output.parent.is_dir():  # before any work
        raise UsageError(f"--output {args.output}: no such directory {args.output.parent}")
    with database_errors(url):
        engine = make_engine(url)
        try:
            if "incidents" not in inspect(engine).get_table_names():
                raise UsageError(
                    f"no incidents in {redact_url(url)} (is it demarc's database? "
                    "`demarc db upgrade` creates the tables)"
                )
            text = export_incident(engine, args.id, _registry(args.registry), datetime.now(UTC))
        finally:
            engine.dispose()
    if text is None:
        raise UsageError(f"no incident #{args.id} in {redact_url(url)}")
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write --output {args.output}: {exc.strerror}") from exc
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _registry(value: str | None) -> Registry | None:
    """The registry if it loads; the draft then leaves contracts out, and says so."""
    path = registry_arg(value)
    result = guarded_load(path) if path.exists() else None
    if result is None or result.registry is None:
        print(
            f"{path}: registry not loaded; the draft leaves out contracts and lineage",
            file=sys.stderr,
        )
        return None
    return result.registry
