"""`demarc check --quality`: measure and judge every contract's quality checks now, on the
current period's rows; records nothing, posts nothing (the bot's sweep does that)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.freshness.report import table
from bot.probes.quality import Job, QualityProber
from ownership.model import Contract, SqlProbe
from ownership.quality.checks import contract_checks
from ownership.quality.verdict import Measured, Verdict, judge
from ownership.quality.window import quality_window


def measure_now(
    contracts: Iterable[Contract],
    now: datetime,
    environ: Mapping[str, str],
    threads: int,
    timeout: float,
) -> dict[str, list[Verdict]]:
    """Contract id -> its verdicts (a volume trend has no history here: it passes)."""
    jobs = []
    for c in contracts:
        rules = contract_checks(c)
        if isinstance(c.probe, SqlProbe) and rules:
            jobs.append(Job(c.id, c.probe, rules, quality_window(c, now).start, now))
    prober = QualityProber(environ, statement_timeout=timeout, pool_size=max(1, threads))
    try:
        measured = prober.measure_many(jobs)
    finally:
        prober.close()
    out: dict[str, list[Verdict]] = {}
    for job in jobs:
        verdicts = []
        for rule in job.rules:
            got = measured.get(job.key, {}).get(rule.id) or Measured(None, error="not measured")
            try:
                verdicts.append(judge(rule, got))
            except Exception as exc:
                verdicts.append(Verdict(rule, None, error=f"cannot judge: {exc}"))
        out[job.key] = verdicts
    return out


def _word(v: Verdict) -> str:
    return "passed" if v.passed else ("FAILED" if v.passed is False else "CHECK FAILED")


def quality_table(results: Mapping[str, list[Verdict]]) -> str:
    rows = [
        [contract, v.rule.id, _word(v), v.words().split(": ", 1)[-1][:90]]
        for contract, verdicts in sorted(results.items())
        for v in verdicts
    ]
    if not rows:
        return "\nno data quality checks: see docs/quality.md to declare some"
    return "\n" + table(["contract", "quality check", "verdict", "detail"], rows)


def quality_json(verdicts: list[Verdict] | None) -> list[dict[str, object]] | None:
    if verdicts is None:
        return None
    return [
        {
            "check": v.rule.id,
            "passed": v.passed,
            "value": v.value,
            "count": v.count,
            "rows": v.rows,
            "detail": v.words(),
        }
        for v in verdicts
    ]


def quality_exit(results: Mapping[str, list[Verdict]]) -> int:
    """As freshness: 2 a check could not run, 1 a check failed, else 0."""
    flat = [v for verdicts in results.values() for v in verdicts]
    if any(v.passed is None for v in flat):
        return 2
    return 1 if any(v.passed is False for v in flat) else 0
