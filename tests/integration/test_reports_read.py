"""The report's read side on SQLite and PostgreSQL: rollups, alerts acknowledged through
their incident or an ETA, incidents still open from before the window."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.db.models import Alert, CheckRollup, EtaRow, Incident, IncidentAlert
from bot.reports.read import read_report
from ownership.model import Contract, Registry
from ownership.reports.windows import month

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def registry() -> Registry:
    return Registry(contracts={
        "orders": Contract("orders", "warehouse.orders", "data-eng", ("ml",)),
        "features": Contract("features", "ml.features", "ml"),
    })


def incident(asset: str, opened: datetime, acked: datetime | None,
             resolved: datetime | None) -> Incident:
    return Incident(asset=asset, summary="late", severity="sev2", opened_severity="sev2",
                    status="resolved" if resolved else "open", channel="C0INC0001", plan="{}",
                    opened_at=opened, acknowledged_at=acked, resolved_at=resolved)


def seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add_all([
            CheckRollup(contract_id="orders", day=date(2026, 10, 31), expected_periods=1,
                        on_time_periods=0, late_periods=1, downtime_minutes=500),
            CheckRollup(contract_id="orders", day=date(2026, 11, 2), expected_periods=1,
                        on_time_periods=1, late_periods=0, downtime_minutes=0),
            CheckRollup(contract_id="orders", day=date(2026, 11, 3), expected_periods=1,
                        on_time_periods=0, late_periods=1, downtime_minutes=90),
        ])
        late = Alert(contract_id="orders", period_key="2026-11-03", kind="late",
                     status="recovered", channel="C0ALERTS1", opened_at=at(3, 6, 10),
                     deadline=at(3, 6), recovered_at=at(3, 7, 30))
        old_open = incident("warehouse.orders", datetime(2026, 10, 20, tzinfo=UTC), None, None)
        fixed = incident("warehouse.orders", at(3, 6, 20), at(3, 6, 30), at(3, 8, 20))
        fixed.resolution_reason = "sla_too_tight"
        session.add_all([late, old_open, fixed])
        session.flush()
        session.add(IncidentAlert(incident_id=fixed.id, alert_id=late.id, linked_at=at(3, 6, 20)))


def test_a_month_reads_its_rollups_alerts_and_open_incidents(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        report = read_report(session, registry(), month("2026-11"), NOW)
    figures = {c.contract_id: c for c in report.contracts}
    orders, features = figures["orders"], figures["features"]
    assert (orders.periods.expected, orders.periods.late, orders.periods.downtime_minutes) == (
        2, 1, 90)
    assert orders.periods.worst_downtime_minutes == 90
    assert (orders.sla_too_tight_share, orders.false_alarm_share) == (1.0, 0.0)
    assert features.periods.on_time_pct is None  # no expected period: no figure, not 0 %
    data_eng = next(t for t in report.teams if t.team == "data-eng")
    assert data_eng.alert_mtta.mean_minutes == 20  # 06:10 → the incident's ack at 06:30
    assert data_eng.incident_mttr.mean_minutes == 120
    assert data_eng.open_incidents == 1


def test_an_eta_acknowledges_an_alert_when_it_comes_before_any_incident(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        eta_first = Alert(contract_id="orders", period_key="2026-11-05", kind="late",
                          status="recovered", channel="C0ALERTS1", opened_at=at(5, 6, 10),
                          deadline=at(5, 6), recovered_at=at(5, 9))
        incident_first = Alert(contract_id="orders", period_key="2026-11-06", kind="late",
                               status="recovered", channel="C0ALERTS1", opened_at=at(6, 6, 0),
                               deadline=at(6, 6), recovered_at=at(6, 9))
        acked = incident("warehouse.orders", at(6, 6, 5), at(6, 6, 10), at(6, 9))
        session.add_all([eta_first, incident_first, acked])
        session.flush()
        session.add(IncidentAlert(incident_id=acked.id, alert_id=incident_first.id,
                                  linked_at=at(6, 6, 5)))
        for alert, given in ((eta_first, at(5, 6, 25)), (eta_first, at(5, 7)),
                             (incident_first, at(6, 6, 40))):
            session.add(EtaRow(alert_id=alert.id, contract_id="orders", eta=at(5, 8),
                               given_by="U0DATAENG", given_at=given))
    with Session(engine) as session:
        report = read_report(session, registry(), month("2026-11"), NOW)
    data_eng = next(t for t in report.teams if t.team == "data-eng")
    # 15 minutes to the first ETA on the 5th; 10 to the incident's ack (before its ETA) on the 6th
    assert (data_eng.alert_mtta.stopped, data_eng.alert_mtta.mean_minutes) == (2, 12.5)
    assert data_eng.alert_mtta.max_minutes == 15


def test_data_requests_count_time_from_request_to_accepted_contract(engine: Engine) -> None:
    from bot.db.models import DataRequest, DataRequestEvent

    def request(opened: datetime, state: str) -> DataRequest:
        return DataRequest(source="warehouse.orders", what="orders by day", consumer_team="ml",
                           accountable_team="data-eng", requested_by="U0ML00001", terms="{}",
                           route="{}", state=state, channel="C0DATAENG", created_at=opened,
                           updated_at=opened)

    with Session(engine) as session, session.begin():
        accepted = request(at(2, 9), "merged")  # accepted after a counter-proposal, then merged
        declined = request(at(4, 9), "declined")
        waiting = request(at(5, 9), "countered")
        before = request(datetime(2026, 10, 30, tzinfo=UTC), "accepted")  # not in November
        session.add_all([accepted, declined, waiting, before])
        session.flush()
        session.add_all([
            DataRequestEvent(request_id=accepted.id, at=at(2, 15), kind="countered"),
            DataRequestEvent(request_id=accepted.id, at=at(3, 9), kind="accepted"),
            DataRequestEvent(request_id=accepted.id, at=at(3, 10), kind="merged"),
            DataRequestEvent(request_id=declined.id, at=at(4, 10), kind="declined"),
        ])
    with Session(engine) as session:
        report = read_report(session, registry(), month("2026-11"), NOW)
    (ml,) = report.requests
    assert (ml.team, ml.made, ml.accepted, ml.declined) == ("ml", 3, 1, 1)
    assert ml.to_accepted.stopped == 1
    assert ml.to_accepted.mean_minutes == 24 * 60  # Nov 2 09:00 → Nov 3 09:00
    assert ml.to_accepted.running == 1  # the countered one is still waiting
