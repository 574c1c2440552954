"""The rows every check writes, whichever path records it (one transaction per contract, or a
quiet chunk): a new contract's status, and the check's own row."""

from __future__ import annotations

from datetime import datetime

from bot.db.models import CheckResult, ContractStatus
from bot.probes import ProbeResult
from ownership.sla import Evaluation


def new_status(contract_id: str) -> ContractStatus:
    """The status of a contract checked for the first time."""
    return ContractStatus(
        contract_id=contract_id, state="pending", consecutive_failures=0, failure_alerted=False
    )


def check_values(
    contract_id: str, evaluation: Evaluation, key: str | None, result: ProbeResult, now: datetime
) -> dict[str, object]:
    """What one check saw, as `demarc status` and the history read it: a `check_results` row."""
    late_by = evaluation.late_by
    return {
        "contract_id": contract_id,
        "checked_at": now,
        "state": evaluation.state.value,
        "period_key": key,
        "last_update": evaluation.last_update,
        "late_by_seconds": int(late_by.total_seconds()) if late_by else None,
        "error": evaluation.error,
        "duration_ms": int(result.duration.total_seconds() * 1000),
    }


def check_row(
    contract_id: str, evaluation: Evaluation, key: str | None, result: ProbeResult, now: datetime
) -> CheckResult:
    """`check_values` as an ORM row (the per-contract path)."""
    return CheckResult(**check_values(contract_id, evaluation, key, result, now))
