"""The last known freshness and quality of contracts, in words, for `/whoowns` and
`demarc status`: read from the database by primary key, never measured here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import ContractStatus, QualityStatus
from bot.freshness.report import STATE_WORDS
from ownership.answers import Answer, AssetAnswer, ContractSummary

log = logging.getLogger(__name__)


def quality_words(status: QualityStatus) -> str:
    """ "passed (5 checks, period 2026-11-25)", "1 of 5 checks failing: …"."""
    period = f"period {status.period_key}"
    if status.state == "passed":
        return f"passed ({status.checks} checks, {period})"
    first = status.summary.splitlines()[0] if status.summary else ""
    verb = "failing" if status.state == "failed" else "could not run"
    return f"{status.failing} of {status.checks} checks {verb} ({period}): {first}".rstrip(": ")


def live_states(engine: Engine, ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """Contract id -> (freshness words, quality words), for the ids that have any."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with Session(engine) as session:
        fresh = {
            s.contract_id: STATE_WORDS.get(s.state, s.state)
            for s in session.scalars(
                select(ContractStatus).where(ContractStatus.contract_id.in_(wanted))
            )
        }
        quality = {
            s.contract_id: quality_words(s)
            for s in session.scalars(
                select(QualityStatus).where(QualityStatus.contract_id.in_(wanted))
            )
        }
    return {c: (fresh.get(c), quality.get(c)) for c in wanted if c in fresh or c in quality}


def with_live_state(answer: Answer, engine: Engine) -> Answer:
    """`answer` with its contracts' last known states; unchanged when the database fails."""
    if not isinstance(answer, AssetAnswer):
        return answer
    summaries = [answer.contract, *(x.contract for x in (*answer.upstream, *answer.downstream))]
    ids = [s.contract.id for s in summaries if s is not None]
    try:
        states = live_states(engine, ids)
    except Exception as exc:  # the answer without live state beats no answer
        log.warning("cannot read live states for /whoowns: %s", exc)
        return answer

    def fill(summary: ContractSummary | None) -> ContractSummary | None:
        if summary is None or summary.contract.id not in states:
            return summary
        fresh, quality = states[summary.contract.id]
        return replace(summary, status=fresh or summary.status, quality=quality)

    return replace(
        answer,
        contract=fill(answer.contract),
        upstream=tuple(replace(x, contract=fill(x.contract)) for x in answer.upstream),
        downstream=tuple(replace(x, contract=fill(x.contract)) for x in answer.downstream),
    )
