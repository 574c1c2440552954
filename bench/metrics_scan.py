"""The /metrics database collector as it was before retention: every scrape counts whole
tables (`demarc_checks_total` scans `check_results`, the outbox counters scan `outbox`).

Kept as the peer of B8's scrape benchmark and as the reference the retention tests compare
the incremental collector with (same names, same values on a database nothing was pruned
from). `render_full_scan(engine)` gives the exposition text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, CheckResult, ContractStatus, OutboxMessage
from bot.outbox.enqueue import DEAD, FAILED, PENDING, SENDING, SENT, STATUSES, SUPERSEDED
from ownership.sla import FreshnessState

UNDELIVERED = (PENDING, SENDING)
CHECK_STATES = tuple(state.value for state in FreshnessState)
ALERT_KINDS = ("late", "check_failed")
ALERT_STATUSES = ("open", "recovered", "silenced")
Family = GaugeMetricFamily | CounterMetricFamily


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Family]:
        with Session(self.engine) as s:
            yield from self._contracts(s)
            yield from self._alerts(s)
            yield from self._outbox(s)

    def _contracts(self, s: Session) -> Iterator[Family]:
        yield _grouped(
            s,
            GaugeMetricFamily("demarc_contracts", "Contracts by last state", labels=["state"]),
            select(ContractStatus.state, func.count()).group_by(ContractStatus.state),
            [(state,) for state in CHECK_STATES],
        )
        yield _grouped(
            s,
            CounterMetricFamily("demarc_checks", "Checks run, by result", labels=["state"]),
            select(CheckResult.state, func.count()).group_by(CheckResult.state),
            [(state,) for state in CHECK_STATES],
        )

    def _alerts(self, s: Session) -> Iterator[Family]:
        yield _grouped(
            s,
            GaugeMetricFamily(
                "demarc_alerts", "Alerts by kind and current status", labels=["kind", "status"]
            ),
            select(Alert.kind, Alert.status, func.count()).group_by(Alert.kind, Alert.status),
            [(kind, status) for kind in ALERT_KINDS for status in ALERT_STATUSES],
        )
        yield _grouped(
            s,
            CounterMetricFamily("demarc_alerts_opened", "Alerts ever opened", labels=["kind"]),
            select(Alert.kind, func.count()).group_by(Alert.kind),
            [(kind,) for kind in ALERT_KINDS],
        )

    def _outbox(self, s: Session) -> Iterator[Family]:
        by_status = dict(
            s.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        messages = GaugeMetricFamily(
            "demarc_outbox_messages", "Outbox messages by current status", labels=["status"]
        )
        for status in sorted(set(STATUSES) | set(by_status)):
            messages.add_metric([str(status)], float(by_status.get(status, 0)))
        yield messages
        for name, status, doc in (
            ("delivered", SENT, "Slack messages delivered (posted or edited)"),
            ("failed", FAILED, "Slack messages Slack refused for good (e.g. channel_not_found)"),
            ("dead_lettered", DEAD, "Slack messages set aside as dead letters"),
            ("superseded", SUPERSEDED, "Edits not sent because a later edit replaced them"),
        ):
            yield CounterMetricFamily(
                f"demarc_slack_messages_{name}", doc, value=float(by_status.get(status, 0))
            )
        yield GaugeMetricFamily(
            "demarc_outbox_dead_letters",
            "Dead letters: messages set aside (see demarc status)",
            value=float(by_status.get(DEAD, 0)),
        )
        yield GaugeMetricFamily(
            "demarc_outbox_depth",
            "Undelivered messages",
            value=float(sum(by_status.get(status, 0) for status in UNDELIVERED)),
        )
        yield from self._slack_trouble(s)
        oldest = s.scalar(
            select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(UNDELIVERED))
        )
        age = 0.0
        if oldest is not None:
            age = max(0.0, (self.clock() - oldest).total_seconds())
        yield GaugeMetricFamily(
            "demarc_outbox_oldest_age_seconds", "Age of the oldest undelivered message", value=age
        )

    def _slack_trouble(self, s: Session) -> Iterator[Family]:
        """Retries and errors, from per-row values that only grow (attempts, final statuses)."""
        retries = s.scalar(
            select(func.coalesce(func.sum(OutboxMessage.attempts - 1), 0)).where(
                OutboxMessage.attempts > 1
            )
        )
        yield CounterMetricFamily(
            "demarc_slack_retries", "Slack calls retried", value=float(retries or 0)
        )
        errors = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(or_(OutboxMessage.attempts > 1, OutboxMessage.status.in_((FAILED, DEAD))))
        )
        yield CounterMetricFamily(
            "demarc_slack_errors",
            "Messages that met a Slack error (retried, failed or dead-lettered)",
            value=float(errors or 0),
        )


def _grouped(
    s: Session, family: Family, statement: Any, known: Iterable[tuple[str, ...]]
) -> Family:
    """Counts per label values: every known combination (0 if absent), plus any other seen."""
    counts = {tuple(str(v) for v in labels): n for *labels, n in s.execute(statement)}
    for labels in sorted(set(known) | set(counts)):
        family.add_metric(list(labels), float(counts.get(labels, 0)))
    return family


def render_full_scan(
    engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> bytes:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(engine, clock))
    return generate_latest(registry)
