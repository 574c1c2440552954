"""Prometheus metrics. Most are read from the database at scrape time, so every replica
reports the same shared truth (checks by state, alerts, outbox depth and age, Slack errors);
request latency is measured per process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, CheckResult, ContractStatus, OutboxMessage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


UNDELIVERED = ("pending", "sending")
Family = GaugeMetricFamily | CounterMetricFamily


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Family]:
        with Session(self.engine) as s:
            yield from self._grouped(s)
            yield from self._outbox(s)

    def _grouped(self, s: Session) -> Iterator[Family]:
        """Counts per label value, one family per (table, column) pair."""
        families: list[tuple[Family, Any]] = [
            (
                GaugeMetricFamily("demarc_contracts", "Contracts by last state", labels=["state"]),
                select(ContractStatus.state, func.count()).group_by(ContractStatus.state),
            ),
            (
                CounterMetricFamily("demarc_checks", "Checks run, by result", labels=["state"]),
                select(CheckResult.state, func.count()).group_by(CheckResult.state),
            ),
            (
                CounterMetricFamily("demarc_alerts", "Alerts opened", labels=["kind", "status"]),
                select(Alert.kind, Alert.status, func.count()).group_by(Alert.kind, Alert.status),
            ),
            (
                CounterMetricFamily(
                    "demarc_slack_messages", "Outbox messages by status", labels=["status"]
                ),
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status),
            ),
        ]
        for family, statement in families:
            for *labels, n in s.execute(statement):
                family.add_metric([str(label) for label in labels], n)
            yield family

    def _outbox(self, s: Session) -> Iterator[Family]:
        def count(*where: Any) -> float:
            return float(
                s.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
            )

        retries = (
            s.scalar(
                select(func.coalesce(func.sum(OutboxMessage.attempts - 1), 0)).where(
                    OutboxMessage.attempts > 1
                )
            )
            or 0
        )
        yield CounterMetricFamily(
            "demarc_slack_retries", "Slack calls retried", value=float(retries)
        )
        yield CounterMetricFamily(
            "demarc_slack_errors",
            "Messages that met a Slack error",
            value=count(OutboxMessage.last_error.is_not(None)),
        )
        yield GaugeMetricFamily(
            "demarc_outbox_depth",
            "Undelivered messages",
            value=count(OutboxMessage.status.in_(UNDELIVERED)),
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
