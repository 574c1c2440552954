"""`demarc` command line: validate, whoowns, demo, serve, db upgrade."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ownership.loader import LoadResult, load_registry

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _registry_arg(value: str | None) -> Path:
    return Path(value or os.environ.get("DEMARC_REGISTRY") or "registry")



def cmd_validate(args: argparse.Namespace) -> int:
    result = load_registry(args.registry)
    if args.json:
        print(json.dumps([
            {"file": p.where.file, "line": p.where.line, "column": p.where.column,
             "severity": p.severity.value, "code": p.code, "message": p.message}
            for p in result.problems
        ], indent=2))
    else:
        for problem in result.problems:
            print(problem)
    errors, warnings = len(result.errors), len(result.warnings)
    if not args.json:
        verdict = "invalid" if errors else "valid"
        print(f"{args.registry}: {verdict}: {errors} error(s), {warnings} warning(s)",
              file=sys.stderr)
    if errors or (args.strict and warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _load_or_explain(path: Path) -> LoadResult:
    result = load_registry(path)
    if result.registry is None:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        print(f"{path}: the registry has {len(result.errors)} error(s); run "
              f"`demarc validate {path}`", file=sys.stderr)
    return result


def _parse_at(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def cmd_whoowns(args: argparse.Namespace) -> int:
    from bot.render_json import answer_to_json
    from bot.render_text import render_text
    from ownership.answers import NotFound, who_owns

    result = _load_or_explain(_registry_arg(args.registry))
    if result.registry is None:
        return EXIT_PROBLEMS
    answer = who_owns(result.registry, " ".join(args.query), _parse_at(args.at))
    if args.json:
        print(json.dumps(answer_to_json(answer), indent=2))
    else:
        print(render_text(answer))
    return EXIT_PROBLEMS if isinstance(answer, NotFound) else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.shell import run_shell

    return run_shell(_registry_arg(args.registry or "examples/registry"), sys.stdin, sys.stdout)


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(port=args.port)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade

    url = args.database_url or os.environ.get("DEMARC_DATABASE_URL") or "sqlite:///demarc.sqlite3"
    upgrade(url)
    print("database is at the latest revision", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="demarc",
        description="Who owns what between Data Engineering and MLOps, from YAML in git.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a registry directory; exit 1 on errors")
    p.add_argument("registry", type=Path, help="registry directory (or one file)")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--json", action="store_true", help="problems as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("whoowns", help="who owns an asset or activity")
    p.add_argument("query", nargs="+", help="asset id, alias or activity")
    p.add_argument("--registry", help="registry directory (default: $DEMARC_REGISTRY)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--at", help="answer as of this ISO time (default: now)")
    p.set_defaults(func=cmd_whoowns)

    p = sub.add_parser("demo", help="try the bot in the terminal on the example registry")
    p.add_argument("--registry", help="registry directory (default: examples/registry)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="run the Slack bot (HTTP, or Socket Mode with SLACK_APP_TOKEN)")
    p.add_argument("--port", type=int, help="HTTP port (default: $PORT or 3000)")
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    p = dbsub.add_parser("upgrade", help="apply migrations (Alembic) up to the latest")
    p.add_argument("--database-url", help="default: $DEMARC_DATABASE_URL")
    p.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
