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

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from bot.db.models import OutboxMessage
from bot.ops.sla_metrics import SlaCollector
from bot.ops.snapshot import Snapshot, read_snapshot
from bot.outbox.enqueue import (
    DEAD,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    STATUSES,
    SUPERSEDED,
    utc,
)
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
        # autocommit: no BEGIN/ROLLBACK round trips; the snapshot is one statement anyway
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            snap = read_snapshot(conn)
            oldest = conn.scalar(
                select(func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.status.in_(UNDELIVERED)
                )
            )
        yield from self._contracts(snap)
        yield from self._alerts(snap)
        yield from self._outbox(snap, oldest)

    def _contracts(self, snap: Snapshot) -> Iterator[Family]:
        yield _family(
            GaugeMetricFamily("demarc_contracts", "Contracts by last state", labels=["state"]),
            {(k,): n for k, n in snap.contracts.items()},
            [(state,) for state in CHECK_STATES],
        )
        yield _family(
            CounterMetricFamily("demarc_checks", "Checks run, by result", labels=["state"]),
            {(k,): n for k, n in snap.checks.items()},
            [(state,) for state in CHECK_STATES],
        )

    def _alerts(self, snap: Snapshot) -> Iterator[Family]:
        """Alerts are never pruned (one row per contract and late period): every row ever
        opened is still there, in some status."""
        yield _family(
            GaugeMetricFamily(
                "demarc_alerts", "Alerts by kind and current status", labels=["kind", "status"]
            ),
            {(kind, status): n for (kind, status), n in snap.alerts.items()},
            [(kind, status) for kind in ALERT_KINDS for status in ALERT_STATUSES],
        )
        ever: dict[tuple[str, ...], int] = {}
        for (kind, _), n in snap.alerts.items():
            ever[(kind,)] = ever.get((kind,), 0) + n
        yield _family(
            CounterMetricFamily("demarc_alerts_opened", "Alerts ever opened", labels=["kind"]),
            ever,
            [(kind,) for kind in ALERT_KINDS],
        )

    def _outbox(self, snap: Snapshot, oldest: datetime | None) -> Iterator[Family]:
        present = snap.outbox_present
        yield _family(
            GaugeMetricFamily(
                "demarc_outbox_messages", "Outbox messages by current status", labels=["status"]
            ),
            {(k,): n for k, n in present.items()},
            [(status,) for status in STATUSES],
        )
        for name, status, doc in (
            ("delivered", SENT, "Slack messages delivered (posted or edited)"),
            ("failed", FAILED, "Slack messages Slack refused for good (e.g. channel_not_found)"),
            ("dead_lettered", DEAD, "Slack messages set aside as dead letters"),
            ("superseded", SUPERSEDED, "Edits not sent because a later edit replaced them"),
        ):
            yield CounterMetricFamily(
                f"demarc_slack_messages_{name}", doc, value=float(snap.outbox_ever.get(status, 0))
            )
        yield GaugeMetricFamily(
            "demarc_outbox_dead_letters",
            "Dead letters: messages set aside (see demarc status)",
            value=float(present.get(DEAD, 0)),
        )
        yield GaugeMetricFamily(
            "demarc_outbox_depth",
            "Undelivered messages",
            value=float(sum(present.get(status, 0) for status in UNDELIVERED)),
        )
        yield CounterMetricFamily(
            "demarc_slack_retries", "Slack calls retried", value=float(snap.retries)
        )
        yield CounterMetricFamily(
            "demarc_slack_errors",
            "Messages that met a Slack error (retried, failed or dead-lettered)",
            value=float(snap.errors),
        )
        age = 0.0
        if oldest is not None:
            age = max(0.0, (self.clock() - utc(oldest)).total_seconds())
        yield GaugeMetricFamily(
            "demarc_outbox_oldest_age_seconds", "Age of the oldest undelivered message", value=age
        )


def _family(
    family: Family, counts: dict[tuple[str, ...], int], known: Iterable[tuple[str, ...]]
) -> Family:
    """Every known combination of label values (0 if absent), plus any other seen."""
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
            self.registry.register(SlaCollector(engine, clock))  # docs/reports.md

    def render(self) -> bytes:
        return generate_latest(self.registry)
