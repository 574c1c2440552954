"""dbt's `target/sources.json` (the results of `dbt source freshness`), read without I/O.

Each result names a source table (`source.<project>.<source>.<table>`, the contract id
`<source>.<table>`), dbt's verdict (`pass`, `warn`, `error`, `runtime error`), the newest
`max_loaded_at` and when dbt looked (`snapshotted_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ownership.errors import InvalidValue

STATUSES = ("pass", "warn", "error", "runtime error")


@dataclass(frozen=True, slots=True)
class DbtFreshnessResult:
    unique_id: str
    contract_id: str
    status: str
    max_loaded_at: datetime | None = None
    snapshotted_at: datetime | None = None
    error: str | None = None


def _instant(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue(f"{what} must be an ISO timestamp, not {value!r}")
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidValue(f"{what} {value!r} is not an ISO timestamp") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # dbt writes UTC


def parse_sources_json(data: Any) -> tuple[datetime | None, list[DbtFreshnessResult]]:
    """(generated_at, results); InvalidValue names the first thing that is not as dbt writes it."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise InvalidValue("not a dbt sources.json: expected an object with a 'results' list")
    meta = data.get("metadata")
    generated = _instant(
        meta.get("generated_at") if isinstance(meta, dict) else None, "metadata.generated_at"
    )
    out = []
    for index, item in enumerate(data["results"]):
        where = f"results[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("unique_id"), str):
            raise InvalidValue(f"{where} has no unique_id")
        unique_id = item["unique_id"]
        parts = unique_id.split(".")
        if len(parts) < 4 or parts[0] != "source":
            raise InvalidValue(f"{where}: {unique_id!r} is not a source (source.<project>.…)")
        status = item.get("status")
        if status not in STATUSES:
            raise InvalidValue(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
        error = item.get("error")
        out.append(
            DbtFreshnessResult(
                unique_id=unique_id,
                contract_id=f"{parts[2]}.{'.'.join(parts[3:])}",
                status=status,
                max_loaded_at=_instant(item.get("max_loaded_at"), f"{where} max_loaded_at"),
                snapshotted_at=_instant(item.get("snapshotted_at"), f"{where} snapshotted_at"),
                error=str(error) if error is not None else None,
            )
        )
    return generated, out
