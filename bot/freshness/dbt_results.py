"""Alerting on freshness runs demarc did not execute: dbt's `target/sources.json`.

Each result becomes a `ProbeResult` (`max_loaded_at` is the newest update; a `runtime error` is
a failed check) and goes through `FreshnessService.apply`, so late data opens, updates and
resolves the same alerts as demarc's own probes, through the same outbox. demarc judges the
result with the contract's SLA (read from the same sources.yml); dbt's own verdict is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.freshness.service import FreshnessService
from bot.probes import ProbeResult
from ownership.errors import InvalidValue
from ownership.formats.dbt_results import DbtFreshnessResult, parse_sources_json
from ownership.model import Registry
from ownership.sla import FreshnessState


@dataclass(frozen=True)
class Ingested:
    result: DbtFreshnessResult
    state: FreshnessState | None  # None: no contract with this id in the registry
    action: str | None = None
    detail: str = ""


def read_results(path: Path) -> tuple[datetime | None, list[DbtFreshnessResult]]:
    """Parse the file; InvalidValue says what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidValue(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from exc
    return parse_sources_json(data)


def to_probe_result(result: DbtFreshnessResult) -> ProbeResult:
    if result.status == "runtime error":
        return ProbeResult(error=f"dbt source freshness failed: {result.error or 'runtime error'}")
    if result.max_loaded_at is None:
        return ProbeResult(error="dbt reported no max_loaded_at")
    return ProbeResult(last_update=result.max_loaded_at, source_now=result.snapshotted_at)


def too_old(generated: datetime | None, now: datetime, max_age: timedelta) -> bool:
    return generated is not None and now - generated > max_age


def ingest(
    service: FreshnessService, registry: Registry, results: list[DbtFreshnessResult]
) -> list[Ingested]:
    out = []
    for result in results:
        contract = registry.contracts.get(result.contract_id)
        if contract is None:
            out.append(Ingested(result, None, None, "no contract with this id in the registry"))
            continue
        report = service.apply(registry, contract, to_probe_result(result))
        out.append(
            Ingested(result, report.evaluation.state, report.action, report.evaluation.summary)
        )
    return out
