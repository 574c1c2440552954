"""The "quality check failed" alert: quality is not being verified. One per contract (not per
check), in the owner's channel, after its checks fail to run on `FAILURES_BEFORE_ALERT` runs
in a row (the rule freshness uses for a failing probe, `bot.freshness.judge.Timing`); edited
in place while the errors change, resolved when every check runs again. It never pages: it
names the owner team and tags nobody, and the consumers are not told (their data is not
known to be bad, only unchecked)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.blocks import Block, context, section
from bot.blocks.escape import bold, code, escape
from bot.db.models import QualityAlert, QualityResult
from bot.freshness.judge import Timing
from bot.outbox import enqueue
from bot.quality.routing import owner_channel
from ownership.model import Contract, Registry
from ownership.quality.verdict import Verdict

CHECK_ID = "check-failed"  # the alert's check_id: no check has this id (they hold a ':')
FAILURES_BEFORE_ALERT = Timing().failures_before_alert


def runs_failed_before(session: Session, contract_id: str, runs: int) -> int:
    """How many of the contract's last `runs` sweeps had a check that did not run, counted
    back from the latest until one that ran every check."""
    failed = func.max(case((QualityResult.outcome == "check_failed", 1), else_=0))
    rows = session.execute(
        select(QualityResult.checked_at, failed)
        .where(
            QualityResult.contract_id == contract_id,
            ~QualityResult.check_id.startswith("dbt:"),  # dbt's runs are not the sweep's
        )
        .group_by(QualityResult.checked_at)
        .order_by(QualityResult.checked_at.desc())
        .limit(runs)
    ).all()
    count = 0
    for _, bad in rows:
        if not bad:
            break
        count += 1
    return count


def follow(
    session: Session,
    registry: Registry,
    contract: Contract,
    verdicts: list[Verdict],
    open_now: list[QualityAlert],
    now: datetime,
) -> str | None:
    """Open, edit or resolve the contract's check-failed alert after this run; what happened."""
    mine = next((a for a in open_now if a.check_id == CHECK_ID), None)
    broken = [v for v in verdicts if v.passed is None]
    if not broken:
        if mine is None:
            return None
        mine.status, mine.resolved_at, mine.checked_at = "resolved", now, now
        _root(session, registry, contract, mine, 0, now, edit=True)
        _say(session, mine, "The quality checks run again; the data is being verified.", now)
        return f"{CHECK_ID}: resolved"
    detail = _detail(broken)
    failures = 1 + runs_failed_before(session, contract.id, FAILURES_BEFORE_ALERT)
    if mine is not None:
        mine.checked_at = now
        if mine.detail == detail:
            return None
        mine.detail = detail
        _root(session, registry, contract, mine, failures, now, edit=True)
        return f"{CHECK_ID}: still failing"
    if failures < FAILURES_BEFORE_ALERT:
        return None
    channel = owner_channel(registry, contract)
    if not channel:
        return f"{CHECK_ID}: checks failing, and the owner team has no on-call channel"
    alert = QualityAlert(
        contract_id=contract.id,
        period_key=f"{CHECK_ID}:{now:%Y%m%dT%H%M%S}",
        check_id=CHECK_ID,
        status="open",
        channel=channel,
        consumer_channels="",
        detail=detail,
        opened_at=now,
        checked_at=now,
    )
    session.add(alert)
    session.flush()
    _root(session, registry, contract, alert, failures, now, edit=False)
    return f"{CHECK_ID}: alert opened"


def _detail(broken: list[Verdict]) -> str:
    """One line per error, naming the checks it stopped (one bad connection stops them all)."""
    by_error: dict[str, list[str]] = {}
    for verdict in broken:
        by_error.setdefault(verdict.error or "no result", []).append(verdict.rule.id)
    lines = [f"{', '.join(ids)}: {error}" for error, ids in by_error.items()]
    return "\n".join(lines)[:2000]


def render(
    registry: Registry, contract: Contract, alert: QualityAlert, failures: int
) -> tuple[str, list[Block]]:
    name = code(contract.id)
    if alert.status == "resolved":
        return (
            f"Quality checks of {contract.id} run again",
            [section(f":white_check_mark: The quality checks of {name} run again. Resolved.")],
        )
    owner = registry.teams.get(contract.owner_team)
    team = bold(owner.name if owner else contract.owner_team)
    runs = f"the last {failures} runs" if failures > 1 else "the last run"
    lines = [f"• {escape(line)}" for line in alert.detail.splitlines()[:10]]
    text = (
        f":warning: *Quality check failed on {name}*: its checks could not run on {runs}, so "
        "demarc cannot tell whether the data is usable (not known to be bad).\n"
        + "\n".join(lines)
        + f"\nResponsible: {team}"
    )
    return f"Quality check failed on {contract.id}: quality is not being verified", [
        section(text[:2900]),
        context(
            f"Try it: {code('demarc check --quality --contract ' + contract.id)}. Fix the "
            "connection, column or permission: the next run that works resolves this."
        ),
    ]


def _key(alert: QualityAlert) -> str:
    return f"quality:{alert.id}"


def _root(
    session: Session,
    registry: Registry,
    contract: Contract,
    alert: QualityAlert,
    failures: int,
    now: datetime,
    *,
    edit: bool,
) -> None:
    text, blocks = render(registry, contract, alert, failures)
    enqueue(
        session,
        method="chat.update" if edit else "chat.postMessage",
        channel=alert.channel,
        now=now,
        payload={"text": text, "blocks": blocks},
        root_key=_key(alert),
        is_root=not edit,
    )


def _say(session: Session, alert: QualityAlert, text: str, now: datetime) -> None:
    enqueue(
        session,
        method="chat.postMessage",
        channel=alert.channel,
        now=now,
        payload={"text": text},
        root_key=_key(alert),
        is_root=False,
        in_thread=True,
    )
