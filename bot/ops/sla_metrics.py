"""SLA figures for Prometheus (docs/reports.md), cheap to scrape.

Gauges per contract over the last 7 whole UTC days, read from `check_rollups` through its
`day` index (7 rows a contract): `demarc_sla_on_time_ratio`, `demarc_sla_downtime_minutes`,
`demarc_sla_breaches`. Response times as gauge histograms over the alerts and incidents
opened in the last 30 days (their `opened_at` index): `demarc_alert_mttr_minutes`,
`demarc_incident_mtta_minutes`, `demarc_incident_mttr_minutes`. A gauge histogram, not a
counter: the window rolls, so old ones leave it; only stopped clocks are in it.

Figures over days move slowly, so one scrape a minute computes them and the others reuse
that (`ttl`): a scrape stays cheap however many contracts and alerts there are.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from bot.db.models import Alert, CheckRollup, Incident

ROLLUP_DAYS = 7
CLOCK_DAYS = 30
BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0, 1440.0)  # minutes
TTL_SECONDS = 60.0
Family = GaugeMetricFamily | GaugeHistogramMetricFamily


def _minutes(start: datetime | None, stop: datetime | None) -> float | None:
    if start is None or stop is None:
        return None
    return max(0.0, (stop.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60)


def gauge_histogram(name: str, doc: str, values: Iterable[float]) -> GaugeHistogramMetricFamily:
    data = sorted(values)
    buckets = [(str(b), float(sum(1 for v in data if v <= b))) for b in BUCKETS]
    buckets.append(("+Inf", float(len(data))))
    return GaugeHistogramMetricFamily(name, doc, buckets=buckets, gsum_value=float(sum(data)))


class SlaCollector(Collector):
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], *, ttl: float = TTL_SECONDS
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Family]] | None = None

    def collect(self) -> Iterator[Family]:
        with self._lock:  # concurrent scrapes share one computation
            cached = self._cached
            if cached is None or time.monotonic() - cached[0] >= self.ttl:
                cached = (time.monotonic(), list(self._compute()))
                self._cached = cached
        yield from cached[1]

    def _compute(self) -> Iterator[Family]:
        now = self.clock()
        today = now.astimezone(UTC).date()
        since = now - timedelta(days=CLOCK_DAYS)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            rollups = conn.execute(
                select(
                    CheckRollup.contract_id,
                    func.sum(CheckRollup.expected_periods),
                    func.sum(CheckRollup.on_time_periods),
                    func.sum(CheckRollup.late_periods),
                    func.sum(CheckRollup.downtime_minutes),
                )
                .where(
                    CheckRollup.day >= today - timedelta(days=ROLLUP_DAYS),
                    CheckRollup.day < today,
                )
                .group_by(CheckRollup.contract_id)
                .order_by(CheckRollup.contract_id)
            ).all()
            alerts = conn.execute(
                select(Alert.opened_at, Alert.recovered_at).where(
                    Alert.opened_at >= since, Alert.status != "silenced"
                )
            ).all()
            incidents = conn.execute(
                select(Incident.opened_at, Incident.acknowledged_at, Incident.resolved_at).where(
                    Incident.opened_at >= since
                )
            ).all()
        ratio = GaugeMetricFamily(
            "demarc_sla_on_time_ratio",
            f"On-time share of expected periods, last {ROLLUP_DAYS} whole UTC days",
            labels=["contract"],
        )
        downtime = GaugeMetricFamily(
            "demarc_sla_downtime_minutes",
            f"Minutes the data was late, last {ROLLUP_DAYS} whole UTC days",
            labels=["contract"],
        )
        breaches = GaugeMetricFamily(
            "demarc_sla_breaches", f"Late periods, last {ROLLUP_DAYS} whole UTC days",
            labels=["contract"],
        )
        for contract, expected, on_time, late, minutes in rollups:
            if expected:
                ratio.add_metric([contract], float(on_time or 0) / float(expected))
            downtime.add_metric([contract], float(minutes or 0))
            breaches.add_metric([contract], float(late or 0))
        yield from (ratio, downtime, breaches)
        mttr = [_minutes(a, b) for a, b in alerts]
        yield gauge_histogram(
            "demarc_alert_mttr_minutes",
            f"Alert opened to data recovered, alerts opened in the last {CLOCK_DAYS} days",
            [m for m in mttr if m is not None],
        )
        acks = [_minutes(o, a or r) for o, a, r in incidents]
        fixes = [_minutes(o, r) for o, _, r in incidents]
        yield gauge_histogram(
            "demarc_incident_mtta_minutes",
            f"Incident opened to acknowledged, opened in the last {CLOCK_DAYS} days",
            [m for m in acks if m is not None],
        )
        yield gauge_histogram(
            "demarc_incident_mttr_minutes",
            f"Incident opened to resolved, opened in the last {CLOCK_DAYS} days",
            [m for m in fixes if m is not None],
        )
