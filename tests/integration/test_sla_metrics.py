"""/metrics' SLA families: per-contract gauges from the rollup, MTTA/MTTR gauge histograms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.db.models import Alert, CheckRollup, Incident
from bot.ops.metrics import Metrics

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def rollup(contract: str, day: date, on_time: int, late: int, minutes: int) -> CheckRollup:
    return CheckRollup(contract_id=contract, day=day, expected_periods=on_time + late,
                       on_time_periods=on_time, late_periods=late, downtime_minutes=minutes,
                       checks=1, failures=0)


def test_gauges_cover_the_last_seven_whole_days_and_clocks_the_last_thirty(
    engine: Engine,
) -> None:
    with Session(engine) as session, session.begin():
        session.add_all([
            rollup("orders", date(2026, 11, 24), 1, 0, 0),  # 7 days back: in
            rollup("orders", date(2026, 11, 30), 0, 1, 40),
            rollup("orders", date(2026, 11, 23), 0, 1, 999),  # 8 days back: out
            rollup("orders", date(2026, 12, 1), 0, 1, 999),  # today is not whole yet
        ])
        opened = NOW - timedelta(days=2)
        session.add_all([
            Alert(contract_id="orders", period_key="p", kind="late", status="recovered",
                  channel="C1", opened_at=opened, recovered_at=opened + timedelta(minutes=50)),
            Alert(contract_id="orders", period_key="q", kind="late", status="silenced",
                  channel="C1", opened_at=opened, recovered_at=opened + timedelta(hours=9)),
            Alert(contract_id="orders", period_key="r", kind="late", status="recovered",
                  channel="C1", opened_at=NOW - timedelta(days=40),
                  recovered_at=NOW - timedelta(days=39)),
            Incident(asset="orders", summary="s", severity="sev2", opened_severity="sev2",
                     status="resolved", channel="C2", plan="{}", opened_at=opened,
                     acknowledged_at=opened + timedelta(minutes=10),
                     resolved_at=opened + timedelta(minutes=200)),
            Incident(asset="orders", summary="s", severity="sev2", opened_severity="sev2",
                     status="open", channel="C2", plan="{}", opened_at=opened),
        ])
    body = Metrics(engine, lambda: NOW).render().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body) for s in family.samples
    }
    orders = (("contract", "orders"),)
    assert samples[("demarc_sla_on_time_ratio", orders)] == 0.5
    assert samples[("demarc_sla_downtime_minutes", orders)] == 40
    assert samples[("demarc_sla_breaches", orders)] == 1
    # one alert in the window paged and recovered (50 min); the silenced one is not counted
    assert samples[("demarc_alert_mttr_minutes_gcount", ())] == 1
    assert samples[("demarc_alert_mttr_minutes_bucket", (("le", "30.0"),))] == 0
    assert samples[("demarc_alert_mttr_minutes_bucket", (("le", "60.0"),))] == 1
    assert samples[("demarc_incident_mtta_minutes_gsum", ())] == 10
    assert samples[("demarc_incident_mttr_minutes_gcount", ())] == 1  # the open one runs on
    assert samples[("demarc_incident_mttr_minutes_bucket", (("le", "240.0"),))] == 1


def test_a_scrape_within_a_minute_reuses_the_figures_and_queries_nothing(engine: Engine) -> None:
    from sqlalchemy import event

    from bot.ops.sla_metrics import SlaCollector

    with Session(engine) as session, session.begin():
        session.add(rollup("orders", date(2026, 11, 30), 1, 0, 0))
    collector = SlaCollector(engine, lambda: NOW)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        first = [f.name for f in collector.collect()]
        queried = len(statements)
        with Session(engine) as session, session.begin():  # a change inside the minute
            session.add(rollup("orders", date(2026, 11, 29), 0, 1, 30))
        statements.clear()
        second = [f.name for f in collector.collect()]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert queried >= 3
    assert statements == []
    assert first == second
    fresh = SlaCollector(engine, lambda: NOW, ttl=0.0)  # past the minute: read again
    breaches = next(f for f in fresh.collect() if f.name == "demarc_sla_breaches")
    assert breaches.samples[0].value == 1
