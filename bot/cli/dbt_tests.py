"""`demarc ingest-dbt-results target/run_results.json`: dbt's tests into the quality alerts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.exit_codes import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
    database_errors,
)
from bot.cli.load import load_or_explain, registry_arg
from bot.freshness.report import table
from bot.settings import database_url
from ownership.errors import InvalidValue


def ingest_run_results(args: argparse.Namespace, data: Any) -> int:
    """Exit 0 every test passed, 1 some failed, 2 some errored."""
    # Lazy: the database and the quality service are for this command only.
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.probes.quality import QualityProber
    from bot.quality.dbt_tests import ingest_tests, read_json
    from bot.quality.service import QualityService

    result = load_or_explain(registry_arg(args.registry))
    if result.registry is None:
        return EXIT_PROBLEMS
    registry = result.registry
    try:
        manifest = read_json(Path(args.manifest)) if args.manifest else None
    except InvalidValue as exc:
        raise UsageError(str(exc)) from exc
    url = database_url(args.database_url)
    with database_errors(url):
        upgrade(url)
        engine = make_engine(url)
        try:
            service = QualityService(engine, lambda: registry, QualityProber({}))
            try:
                reports, unmatched = ingest_tests(service, registry, data, manifest)
            except InvalidValue as exc:
                raise UsageError(f"{args.path}: {exc}") from exc
        finally:
            engine.dispose()
    rows = [
        [r.contract.id, v.rule.id, _word(v.passed), "; ".join(r.actions)[:60] or "-"]
        for r in reports
        for v in r.verdicts
    ]
    rows += [[u.unique_id, "-", u.status, "no contract of this source table"] for u in unmatched]
    print(table(["contract", "dbt test", "verdict", "demarc"], rows))
    states = [r.state for r in reports]
    if "check_failed" in states:
        return EXIT_CHECK_FAILED
    return EXIT_PROBLEMS if "failed" in states else EXIT_OK


def _word(passed: bool | None) -> str:
    return "passed" if passed else ("FAILED" if passed is False else "CHECK FAILED")
