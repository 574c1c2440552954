"""Counters folded out of history rows, so /metrics reads a few rows instead of whole tables.

A *mark* per table says up to which id the rows have been counted into `metric_totals`; a
counter's value is its folded total plus the rows after the mark (an index range scan of the
last minute or two). Pruning deletes only rows at or below the mark, so counters never drop.

The mark never overtakes a row a writer may still commit: ids are handed out before commit,
so a fold only advances to the highest id seen by the *previous* fold (one run earlier, a
minute by default), and the outbox's mark stops below its first undelivered row (those rows
still change status; they are counted live through the status index). A fold takes at most
`FOLD_MAX` ids: after an upgrade, the first run catches up with a long history in a series of
short transactions (within its time budget; the next run goes on).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.db.models import CheckResult, MetricTotal, OutboxMessage
from bot.outbox.enqueue import DEAD, FAILED, PENDING, SENDING, SENT, SUPERSEDED

FINAL = (SENT, FAILED, DEAD, SUPERSEDED)
UNDELIVERED = (PENDING, SENDING)
MARK = "mark"  # name of the rows holding the marks: label = table
CANDIDATE = "candidate"  # the highest id the previous fold saw: the next mark
CHECKS = "checks"  # label = check state
OUTBOX = "outbox"  # label = final status: rows ever folded
OUTBOX_PRUNED = "outbox_pruned"  # label = status: folded rows pruned since
RETRIES = "outbox_retries"
ERRORS = "outbox_errors"
FOLD_MAX = 1_000_000  # ids per fold: catching up with a long history, in short transactions


def get_total(session: Session, name: str, label: str = "") -> int | None:
    row = session.get(MetricTotal, (name, label))
    return None if row is None else row.value


def add_total(session: Session, name: str, label: str, amount: int) -> None:
    """Add to a total (create it at `amount`); the caller holds the retention lease."""
    row = session.get(MetricTotal, (name, label))
    if row is None:
        session.add(MetricTotal(name=name, label=label, value=amount))
    else:
        row.value += amount


def set_total(session: Session, name: str, label: str, value: int) -> None:
    row = session.get(MetricTotal, (name, label))
    if row is None:
        session.add(MetricTotal(name=name, label=label, value=value))
    else:
        row.value = value


def fold(session: Session) -> bool:
    """Count rows past the marks into the totals and advance the marks (one transaction, the
    caller's; run by one replica at a time); True when `FOLD_MAX` left some for another."""
    more = _fold_checks(session)
    more = _fold_outbox(session) or more
    session.flush()
    return more


def _advance(
    session: Session, table: str, newest: int | None, limit: int | None
) -> tuple[int, int, bool]:
    """(mark, new mark, more left): up to the previous fold's newest id, below `limit`, at
    most `FOLD_MAX` ids on; records `newest` for the next fold (once caught up)."""
    mark = get_total(session, MARK, table) or 0
    candidate = get_total(session, CANDIDATE, table)
    upto = mark if candidate is None else max(mark, min(candidate, mark + FOLD_MAX))
    if limit is not None:
        upto = max(mark, min(upto, limit))
    more = candidate is not None and upto == mark + FOLD_MAX < candidate
    if newest is not None and not more:
        set_total(session, CANDIDATE, table, newest)
    return mark, upto, more


def _fold_checks(session: Session) -> bool:
    newest = session.scalar(select(func.max(CheckResult.id)))
    mark, upto, more = _advance(session, "check_results", newest, None)
    if upto <= mark:
        return more
    rows = session.execute(
        select(CheckResult.state, func.count())
        .where(CheckResult.id > mark, CheckResult.id <= upto)
        .group_by(CheckResult.state)
    ).all()
    for state, n in rows:
        add_total(session, CHECKS, str(state), int(n))
    set_total(session, MARK, "check_results", upto)
    return more


def _fold_outbox(session: Session) -> bool:
    newest = session.scalar(select(func.max(OutboxMessage.id)))
    first_open = session.scalar(
        select(func.min(OutboxMessage.id)).where(OutboxMessage.status.in_(UNDELIVERED))
    )
    limit = None if first_open is None else first_open - 1
    mark, upto, more = _advance(session, "outbox", newest, limit)
    if upto <= mark:
        return more
    window = and_(
        OutboxMessage.id > mark, OutboxMessage.id <= upto, OutboxMessage.status.in_(FINAL)
    )
    for status, n in session.execute(
        select(OutboxMessage.status, func.count()).where(window).group_by(OutboxMessage.status)
    ).all():
        add_total(session, OUTBOX, str(status), int(n))
    retried, failed = session.execute(select(retries(), errors()).where(window)).one()
    add_total(session, RETRIES, "", int(retried or 0))
    add_total(session, ERRORS, "", int(failed or 0))
    set_total(session, MARK, "outbox", upto)
    return more


def retries() -> ColumnElement[int]:
    """Slack calls retried, over the rows selected (only attempts after the first)."""
    over_one = case((OutboxMessage.attempts > 1, OutboxMessage.attempts - 1), else_=0)
    return func.coalesce(func.sum(over_one), 0)


def errors() -> ColumnElement[int]:
    """Rows that met a Slack error: retried, failed or dead-lettered."""
    met_error = or_(OutboxMessage.attempts > 1, OutboxMessage.status.in_((FAILED, DEAD)))
    return func.coalesce(func.sum(case((met_error, 1), else_=0)), 0)
