"""Prometheus metrics. Most are read from the database at scrape time, so every replica
reports the same shared truth (aggregate them across replicas with `max`, not `sum`); request
latency is measured per process.

Current counts are gauges (`demarc_outbox_messages{status}`, `demarc_alerts{kind,status}`,
`demarc_contracts{state}`, …); transitions are counters (`…_total`), computed from rows whose
count can only grow: alert rows are never deleted, and check and outbox rows are counted into
`metric_totals` before they may be pruned (`bot.ops.totals`: a scrape reads those totals plus
the rows since the last fold, never a whole history table); the statuses counted (sent,
failed, dead, superseded) are final. Every known label value is reported, with 0 when there
is none, so no series vanishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, ContractStatus, OutboxMessage
from bot.ops.totals import read_checks, read_outbox
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
        checks = CounterMetricFamily("demarc_checks", "Checks run, by result", labels=["state"])
        counts = read_checks(s)
        for state in sorted(set(CHECK_STATES) | set(counts)):
            checks.add_metric([state], float(counts.get(state, 0)))
        yield checks

    def _alerts(self, s: Session) -> Iterator[Family]:
        """Both alert families from one pass over `alerts` (never pruned; one row per contract
        and late period): every row ever opened is still there, in some status."""
        rows = s.execute(
            select(Alert.kind, Alert.status, func.count()).group_by(Alert.kind, Alert.status)
        ).all()
        now = {(str(kind), str(status)): int(n) for kind, status, n in rows}
        current = GaugeMetricFamily(
            "demarc_alerts", "Alerts by kind and current status", labels=["kind", "status"]
        )
        for labels in sorted({(k, st) for k in ALERT_KINDS for st in ALERT_STATUSES} | set(now)):
            current.add_metric(list(labels), float(now.get(labels, 0)))
        yield current
        opened = CounterMetricFamily("demarc_alerts_opened", "Alerts ever opened", labels=["kind"])
        ever: dict[str, int] = {}
        for (kind, _), n in now.items():
            ever[kind] = ever.get(kind, 0) + n
        for kind in sorted(set(ALERT_KINDS) | set(ever)):
            opened.add_metric([kind], float(ever.get(kind, 0)))
        yield opened

    def _outbox(self, s: Session) -> Iterator[Family]:
        counts = read_outbox(s)
        messages = GaugeMetricFamily(
            "demarc_outbox_messages", "Outbox messages by current status", labels=["status"]
        )
        for status in sorted(set(STATUSES) | set(counts.present)):
            messages.add_metric([str(status)], float(counts.present.get(status, 0)))
        yield messages
        for name, status, doc in (
            ("delivered", SENT, "Slack messages delivered (posted or edited)"),
            ("failed", FAILED, "Slack messages Slack refused for good (e.g. channel_not_found)"),
            ("dead_lettered", DEAD, "Slack messages set aside as dead letters"),
            ("superseded", SUPERSEDED, "Edits not sent because a later edit replaced them"),
        ):
            yield CounterMetricFamily(
                f"demarc_slack_messages_{name}", doc, value=float(counts.ever.get(status, 0))
            )
        yield GaugeMetricFamily(
            "demarc_outbox_dead_letters",
            "Dead letters: messages set aside (see demarc status)",
            value=float(counts.present.get(DEAD, 0)),
        )
        yield GaugeMetricFamily(
            "demarc_outbox_depth",
            "Undelivered messages",
            value=float(sum(counts.present.get(status, 0) for status in UNDELIVERED)),
        )
        yield CounterMetricFamily(
            "demarc_slack_retries", "Slack calls retried", value=float(counts.retries)
        )
        yield CounterMetricFamily(
            "demarc_slack_errors",
            "Messages that met a Slack error (retried, failed or dead-lettered)",
            value=float(counts.errors),
        )
        oldest = s.scalar(
            select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(UNDELIVERED))
        )
        age = 0.0
        if oldest is not None:
            age = max(0.0, (self.clock() - oldest).total_seconds())
        yield GaugeMetricFamily(
            "demarc_outbox_oldest_age_seconds", "Age of the oldest undelivered message", value=age
        )


def _grouped(
    s: Session, family: Family, statement: Any, known: Iterable[tuple[str, ...]]
) -> Family:
    """Counts per label values: every known combination (0 if absent), plus any other seen."""
    counts = {tuple(str(v) for v in labels): n for *labels, n in s.execute(statement)}
    for labels in sorted(set(known) | set(counts)):
        family.add_metric(list(labels), float(counts.get(labels, 0)))
    return family


class Metrics:
    def __init__(
        self,
        engine: Engine | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "demarc_http_request_duration_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        if engine is not None:
            self.registry.register(DatabaseCollector(engine, clock))

    def render(self) -> bytes:
        return generate_latest(self.registry)
