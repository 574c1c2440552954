"""dbt's tests as quality checks: `target/run_results.json` (after `dbt test` or `dbt build`)
becomes verdicts of the source tables' contracts, alerted through `QualityService` like
demarc's own checks. A test is `dbt:<test>[:<column>]`; `pass` passes, `fail` and `warn`
fail by their `failures` count, `error` is a check that could not run, `skipped` is left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.quality.service import QualityReport, QualityService
from ownership.errors import InvalidValue
from ownership.formats.dbt_run_results import (
    DbtTarget,
    DbtTestResult,
    parse_run_results,
    target_by_name,
    targets_from_manifest,
)
from ownership.model import QualityRule, Registry
from ownership.quality.verdict import Measured


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidValue(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from exc


def ingest_tests(
    service: QualityService,
    registry: Registry,
    data: Any,
    manifest: Any | None = None,
) -> tuple[list[QualityReport], list[DbtTestResult]]:
    """(one report per contract tested, the tests that match no contract)."""
    results = parse_run_results(data)
    targets = targets_from_manifest(manifest) if manifest is not None else {}
    grouped: dict[str, list[tuple[DbtTarget, DbtTestResult]]] = {}
    unmatched = []
    for result in results:
        if result.status == "skipped":
            continue
        target = targets.get(result.unique_id) or target_by_name(
            result.unique_id, registry.contracts
        )
        if target is None or target.contract_id not in registry.contracts:
            unmatched.append(result)
            continue
        grouped.setdefault(target.contract_id, []).append((target, result))
    reports = []
    for contract_id, tests in sorted(grouped.items()):
        rules, measured = [], {}
        for target, result in tests:
            rule_id = f"dbt:{target.test}" + (f":{target.column}" if target.column else "")
            rule = QualityRule(rule_id, "dbt", target.column, description=result.unique_id)
            rules.append(rule)
            if result.status == "error":
                measured[rule_id] = Measured(None, error=f"dbt: {result.message or 'error'}")
            elif result.status == "pass":
                measured[rule_id] = Measured(0.0)
            else:
                measured[rule_id] = Measured(float(result.failures or 1))
        contract = registry.contracts[contract_id]
        reports.append(service.record_results(registry, contract, tuple(rules), measured))
    return reports, unmatched
