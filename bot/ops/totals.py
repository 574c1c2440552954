"""Counters folded out of history rows, so /metrics reads a few rows instead of whole tables.

A *mark* per table says up to which id the rows have been counted into `metric_totals`; a
counter's value is its folded total plus the rows after the mark (an index range scan of the
last minute or two). Pruning deletes only rows at or below the mark, so counters never drop.

The mark never overtakes a row a writer may still commit: ids are handed out before commit,
so a fold only advances to the highest id seen by the *previous* fold (one run earlier, a
minute by default), and the outbox's mark stops below its first undelivered row (those rows
still change status; they are counted live through the status index). A fold takes at most
`FOLD_MAX` ids, so the first ones after an upgrade catch up with a long history over a few
runs instead of in one long transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
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
FOLD_MAX = 500_000  # ids per fold: the first folds of a large history stay short transactions


@dataclass
class OutboxCounts:
    """The outbox as /metrics reports it: every row ever (`ever`), rows now (`present`)."""

    ever: dict[str, int] = field(default_factory=dict)  # by status, pruned rows included
    present: dict[str, int] = field(default_factory=dict)  # by status, rows in the table
    retries: int = 0
    errors: int = 0


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


def fold(session: Session) -> None:
    """Count rows past the marks into the totals and advance the marks (one transaction, the
    caller's; run by one replica at a time)."""
    _fold_checks(session)
    _fold_outbox(session)
    session.flush()


def _advance(
    session: Session, table: str, newest: int | None, limit: int | None
) -> tuple[int, int]:
    """(mark, new mark): up to the previous fold's newest id, below `limit`; records `newest`
    for the next fold."""
    mark = get_total(session, MARK, table) or 0
    candidate = get_total(session, CANDIDATE, table)
    upto = mark if candidate is None else max(mark, min(candidate, mark + FOLD_MAX))
    if limit is not None:
        upto = max(mark, min(upto, limit))
    if newest is not None:
        set_total(session, CANDIDATE, table, newest)
    return mark, upto


def _fold_checks(session: Session) -> None:
    newest = session.scalar(select(func.max(CheckResult.id)))
    mark, upto = _advance(session, "check_results", newest, None)
    if upto <= mark:
        return
    rows = session.execute(
        select(CheckResult.state, func.count())
        .where(CheckResult.id > mark, CheckResult.id <= upto)
        .group_by(CheckResult.state)
    ).all()
    for state, n in rows:
        add_total(session, CHECKS, str(state), int(n))
    set_total(session, MARK, "check_results", upto)


def _fold_outbox(session: Session) -> None:
    newest = session.scalar(select(func.max(OutboxMessage.id)))
    first_open = session.scalar(
        select(func.min(OutboxMessage.id)).where(OutboxMessage.status.in_(UNDELIVERED))
    )
    limit = None if first_open is None else first_open - 1
    mark, upto = _advance(session, "outbox", newest, limit)
    if upto <= mark:
        return
    window = and_(
        OutboxMessage.id > mark, OutboxMessage.id <= upto, OutboxMessage.status.in_(FINAL)
    )
    for status, n in session.execute(
        select(OutboxMessage.status, func.count()).where(window).group_by(OutboxMessage.status)
    ).all():
        add_total(session, OUTBOX, str(status), int(n))
    retries, errors = session.execute(select(_retries(), _errors()).where(window)).one()
    add_total(session, RETRIES, "", int(retries or 0))
    add_total(session, ERRORS, "", int(errors or 0))
    set_total(session, MARK, "outbox", upto)


def _retries() -> ColumnElement[int]:
    over_one = case((OutboxMessage.attempts > 1, OutboxMessage.attempts - 1), else_=0)
    return func.coalesce(func.sum(over_one), 0)


def _errors() -> ColumnElement[int]:
    met_error = or_(OutboxMessage.attempts > 1, OutboxMessage.status.in_((FAILED, DEAD)))
    return func.coalesce(func.sum(case((met_error, 1), else_=0)), 0)


def _mark_row(table: str) -> Select[str, str, int]:
    """The mark, as a row of the statement that also reads the totals it goes with."""
    return select(literal(MARK).label("kind"), literal(table), MetricTotal.value).where(
        MetricTotal.name == MARK, MetricTotal.label == table
    )


def _consistent(
    session: Session, table: str, statement: Callable[[int], CompoundSelect[Any]]
) -> list[tuple[str, str, int]]:
    """Rows of `statement(mark)`, which reads the totals, the rows after `mark` (a literal, so
    the planner sees a narrow range of the primary key) and the mark itself: a fold between
    reading the mark and the statement shows as a new mark, and the statement runs again."""
    mark = session.scalar(
        select(MetricTotal.value).where(MetricTotal.name == MARK, MetricTotal.label == table)
    ) or 0
    for _ in range(5):
        rows = [(str(k), str(label), int(n or 0)) for k, label, n in session.execute(
            statement(mark)
        )]
        seen = next((n for k, _, n in rows if k == MARK), 0)
        if seen == mark:
            return [row for row in rows if row[0] != MARK]
        mark = seen
    raise RuntimeError(f"the {table} mark kept moving while /metrics read it")


def read_checks(session: Session) -> dict[str, int]:
    """Checks ever run, by state: the folded totals plus the rows after the mark."""

    def statement(mark: int) -> CompoundSelect[Any]:
        return union_all(
            select(literal(CHECKS).label("kind"), MetricTotal.label, MetricTotal.value).where(
                MetricTotal.name == CHECKS
            ),
            select(literal(CHECKS).label("kind"), CheckResult.state, func.count())
            .where(CheckResult.id > mark)
            .group_by(CheckResult.state),
            _mark_row("check_results"),
        )

    counts: dict[str, int] = {}
    for _, state, n in _consistent(session, "check_results", statement):
        counts[state] = counts.get(state, 0) + n
    return counts


def read_outbox(session: Session) -> OutboxCounts:
    """The outbox counters and gauges: totals, the final rows after the mark, and the
    undelivered rows (few; through the status index)."""

    def statement(mark: int) -> CompoundSelect[Any]:
        tail = and_(OutboxMessage.id > mark, OutboxMessage.status.in_(FINAL))
        live = OutboxMessage.status.in_(UNDELIVERED)
        return union_all(
            select(MetricTotal.name, MetricTotal.label, MetricTotal.value)
            .where(MetricTotal.name.in_((OUTBOX, OUTBOX_PRUNED, RETRIES, ERRORS))),
            select(literal(OUTBOX), OutboxMessage.status, func.count())
            .where(tail).group_by(OutboxMessage.status),
            select(literal("live"), OutboxMessage.status, func.count())
            .where(live).group_by(OutboxMessage.status),
            select(literal(RETRIES), literal(""), _retries()).where(or_(tail, live)),
            select(literal(ERRORS), literal(""), _errors()).where(or_(tail, live)),
            _mark_row("outbox"),
        )

    counts = OutboxCounts()
    pruned: dict[str, int] = {}
    for kind, label, value in _consistent(session, "outbox", statement):
        if kind in (OUTBOX, "live"):
            counts.ever[label] = counts.ever.get(label, 0) + value
        elif kind == OUTBOX_PRUNED:
            pruned[label] = pruned.get(label, 0) + value
        elif kind == RETRIES:
            counts.retries += value
        elif kind == ERRORS:
            counts.errors += value
    counts.present = {status: n - pruned.get(status, 0) for status, n in counts.ever.items()}
    return counts
