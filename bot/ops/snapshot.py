"""What /metrics reports from the database, read in one statement (`read_snapshot`).

Current counts come from small tables or through indexes (`contract_status`, `alerts`, the
undelivered outbox rows); counters are the totals folded into `metric_totals` plus the rows
after each table's mark (`bot.ops.totals`). The marks are read first and passed as literals,
so the planner sees a narrow range of the primary key; the statement returns the marks it
saw too, and runs again if a fold moved one in between. One statement, one snapshot, and
two round trips in all: under load a scrape costs its round trips more than its CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CompoundSelect, Connection, and_, func, literal, or_, select, union_all

from bot.db.models import Alert, CheckResult, ContractStatus, MetricTotal, OutboxMessage
from bot.ops.totals import (
    CHECKS,
    ERRORS,
    FINAL,
    MARK,
    OUTBOX,
    OUTBOX_PRUNED,
    RETRIES,
    UNDELIVERED,
    errors,
    retries,
)

TABLES = ("check_results", "outbox")


@dataclass
class Snapshot:
    contracts: dict[str, int] = field(default_factory=dict)  # by state
    alerts: dict[tuple[str, str], int] = field(default_factory=dict)  # by kind, status
    checks: dict[str, int] = field(default_factory=dict)  # ever run, by state
    outbox_ever: dict[str, int] = field(default_factory=dict)  # by status, pruned included
    outbox_present: dict[str, int] = field(default_factory=dict)  # by status, in the table
    retries: int = 0
    errors: int = 0


def read_snapshot(conn: Connection) -> Snapshot:
    marks = _marks(conn)
    for _ in range(5):
        rows = [
            (str(kind), str(a), str(b), int(n or 0))
            for kind, a, b, n in conn.execute(_statement(marks))
        ]
        seen = {a: n for kind, a, _, n in rows if kind == MARK}
        if all(seen.get(t, 0) == marks.get(t, 0) for t in TABLES):
            return _snapshot(rows)
        marks = seen
    raise RuntimeError("a fold kept moving the marks while /metrics read them")


def _marks(conn: Connection) -> dict[str, int]:
    query = select(MetricTotal.label, MetricTotal.value).where(MetricTotal.name == MARK)
    return {str(label): int(value) for label, value in conn.execute(query)}


def _statement(marks: dict[str, int]) -> CompoundSelect[Any]:
    empty = literal("")
    tail = and_(OutboxMessage.id > marks.get("outbox", 0), OutboxMessage.status.in_(FINAL))
    live = OutboxMessage.status.in_(UNDELIVERED)
    return union_all(
        select(literal("contracts"), ContractStatus.state, empty, func.count())
        .group_by(ContractStatus.state),
        select(literal("alerts"), Alert.kind, Alert.status, func.count())
        .group_by(Alert.kind, Alert.status),
        select(MetricTotal.name, MetricTotal.label, empty, MetricTotal.value).where(
            MetricTotal.name.in_((CHECKS, OUTBOX, OUTBOX_PRUNED, RETRIES, ERRORS, MARK))
        ),
        select(literal(CHECKS), CheckResult.state, empty, func.count())
        .where(CheckResult.id > marks.get("check_results", 0))
        .group_by(CheckResult.state),
        select(literal(OUTBOX), OutboxMessage.status, empty, func.count())
        .where(tail).group_by(OutboxMessage.status),
        select(literal("live"), OutboxMessage.status, empty, func.count())
        .where(live).group_by(OutboxMessage.status),
        select(literal(RETRIES), empty, empty, retries()).where(or_(tail, live)),
        select(literal(ERRORS), empty, empty, errors()).where(or_(tail, live)),
    )


def _snapshot(rows: list[tuple[str, str, str, int]]) -> Snapshot:
    snap = Snapshot()
    pruned: dict[str, int] = {}
    for kind, a, b, n in rows:
        if kind == "contracts":
            snap.contracts[a] = n
        elif kind == "alerts":
            snap.alerts[(a, b)] = n
        elif kind == CHECKS:
            snap.checks[a] = snap.checks.get(a, 0) + n
        elif kind in (OUTBOX, "live"):
            snap.outbox_ever[a] = snap.outbox_ever.get(a, 0) + n
        elif kind == OUTBOX_PRUNED:
            pruned[a] = pruned.get(a, 0) + n
        elif kind == RETRIES:
            snap.retries += n
        elif kind == ERRORS:
            snap.errors += n
    snap.outbox_present = {s: n - pruned.get(s, 0) for s, n in snap.outbox_ever.items()}
    return snap
