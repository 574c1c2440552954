"""A contract's quality status holds every check of its period, whichever source ran it last:
the sweep's own checks and dbt's tests (`demarc ingest-dbt-results`) are merged by check id,
so neither source's run overwrites the other's checks."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import QualityResult, QualityStatus

DBT = "dbt:"


def is_dbt(check_id: str) -> bool:
    return check_id.startswith(DBT)


def others(
    session: Session, contract_id: str, period: str, keep: Callable[[str], bool]
) -> dict[str, tuple[str, str]]:
    """The latest outcome and words of each check of this period that `keep` accepts."""
    rows = session.execute(
        select(QualityResult.check_id, QualityResult.outcome, QualityResult.detail)
        .where(QualityResult.contract_id == contract_id, QualityResult.period_key == period)
        .order_by(QualityResult.checked_at, QualityResult.id)
    ).all()
    return {check: (outcome, detail) for check, outcome, detail in rows if keep(check)}


def fill(status: QualityStatus, checks: dict[str, tuple[str, str]]) -> None:
    """The status's state, counts and summary from every check of the period (id -> outcome,
    words)."""
    outcomes = [outcome for outcome, _ in checks.values()]
    if "check_failed" in outcomes:
        status.state = "check_failed"
    elif "failed" in outcomes:
        status.state = "failed"
    else:
        status.state = "passed"
    failing = [words for outcome, words in checks.values() if outcome != "passed"]
    status.checks, status.failing = len(checks), len(failing)
    status.summary = "\n".join(failing)[:4000]
