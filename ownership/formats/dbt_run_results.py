"""dbt's `target/run_results.json` (the results of `dbt test` / `dbt build`), read without I/O:
the data tests of source tables become quality verdicts of their contracts.

A test names its source table through `manifest.json` (`depends_on.nodes` has
`source.<project>.<source>.<table>`, `test_metadata` the test and its column) when given;
otherwise through dbt's generated name `source_<test>_<source>_<table>[_<column>]`, matched
against the registry's dbt contracts (`<source>.<table>`), the longest match winning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ownership.errors import InvalidValue

STATUSES = ("pass", "fail", "warn", "error", "skipped")


@dataclass(frozen=True, slots=True)
class DbtTestResult:
    unique_id: str
    status: str
    failures: int | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class DbtTarget:
    """What a test checks: the contract, the test's name (not_null …) and its column."""

    contract_id: str
    test: str
    column: str | None = None


def is_run_results(data: Any) -> bool:
    meta = data.get("metadata") if isinstance(data, dict) else None
    version = meta.get("dbt_schema_version") if isinstance(meta, dict) else None
    return isinstance(version, str) and "run-results" in version


def parse_run_results(data: Any) -> list[DbtTestResult]:
    """The test results (models, seeds … are left out); InvalidValue says what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise InvalidValue("not a dbt run_results.json: expected an object with a 'results' list")
    out = []
    for index, item in enumerate(data["results"]):
        if not isinstance(item, dict) or not isinstance(item.get("unique_id"), str):
            raise InvalidValue(f"results[{index}] has no unique_id")
        if not item["unique_id"].startswith("test."):
            continue
        status = item.get("status")
        if status not in STATUSES:
            raise InvalidValue(
                f"results[{index}]: status {status!r} is not one of {', '.join(STATUSES)}"
            )
        failures = item.get("failures")
        message = item.get("message")
        out.append(
            DbtTestResult(
                item["unique_id"],
                status,
                failures if isinstance(failures, int) and not isinstance(failures, bool) else None,
                str(message) if message is not None else None,
            )
        )
    return out


def targets_from_manifest(manifest: Any) -> dict[str, DbtTarget]:
    """Test unique id -> what it checks, for tests on exactly one source table."""
    nodes = manifest.get("nodes") if isinstance(manifest, dict) else None
    if not isinstance(nodes, dict):
        raise InvalidValue("not a dbt manifest.json: expected an object with 'nodes'")
    out = {}
    for uid, node in nodes.items():
        if not (isinstance(uid, str) and uid.startswith("test.") and isinstance(node, dict)):
            continue
        depends = (node.get("depends_on") or {}).get("nodes") or []
        sources = [n for n in depends if isinstance(n, str) and n.startswith("source.")]
        if len(sources) != 1 or len(sources[0].split(".")) < 4:
            continue
        parts = sources[0].split(".")
        meta = node.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        column = kwargs.get("column_name") or node.get("column_name")
        name = meta.get("name") or node.get("name") or uid.split(".")[2]
        out[uid] = DbtTarget(
            f"{parts[2]}.{'.'.join(parts[3:])}",
            str(name),
            str(column) if isinstance(column, str) else None,
        )
    return out


def target_by_name(unique_id: str, contract_ids: Iterable[str]) -> DbtTarget | None:
    """dbt's generated name `source_<test>_<source>_<table>[_<column>]` against the
    contracts `<source>.<table>`; None when no contract's name is in it."""
    parts = unique_id.split(".")
    if len(parts) < 3 or not parts[2].startswith("source_"):
        return None
    name = parts[2][len("source_") :]
    best: DbtTarget | None = None
    best_len = 0
    for contract_id in contract_ids:
        if contract_id.count(".") != 1:
            continue
        key = contract_id.replace(".", "_")
        at = name.find(f"_{key}")
        end = at + 1 + len(key)
        if at <= 0 or (end < len(name) and name[end] != "_") or len(key) <= best_len:
            continue
        column = name[end + 1 :] or None
        best, best_len = DbtTarget(contract_id, name[:at], column), len(key)
    return best
