"""Retention: folded metric counters, the daily rollup, pruning in batches under one lease."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bench.metrics_scan import render_full_scan
from bot.db.models import (
    Alert,
    CheckResult,
    CheckRollup,
    Incident,
    IncidentAlert,
    Lease,
    MetricTotal,
    OpenIncident,
    OutboxMessage,
)
from bot.ops.metrics import Metrics
from bot.ops.retention import RetentionJob, RetentionPolicy
from bot.ops.rollup import roll_day
from bot.outbox.enqueue import DEAD, FAILED, PENDING, SENDING, SENT, SUPERSEDED

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
SLA_FAMILIES = ("demarc_sla_", "demarc_alert_mttr", "demarc_incident_mtt")  # rollup-read
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(body: bytes) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
        if not s.name.endswith("_created")
        and not s.name.startswith(("demarc_http", *SLA_FAMILIES))
    }


def scrape(engine: Engine) -> Samples:
    return samples(Metrics(engine, lambda: NOW).render())


def full_scan(engine: Engine) -> Samples:
    return samples(render_full_scan(engine, lambda: NOW))


def add_checks(engine: Engine, contract: str, start: datetime, states: list[str],
               every: timedelta = timedelta(minutes=5), key: str | None = "p1") -> None:
    with Session(engine) as session, session.begin():
        for i, state in enumerate(states):
            session.add(CheckResult(
                contract_id=contract, checked_at=start + i * every, state=state,
                period_key=None if state == "check_failed" else key,
                error="boom" if state == "check_failed" else None, duration_ms=3,
            ))


def add_outbox(engine: Engine, at: datetime, statuses: list[str], attempts: int = 1) -> None:
    with Session(engine) as session, session.begin():
        for status in statuses:
            session.add(OutboxMessage(
                created_at=at, method="chat.postMessage", channel="C0FEED001", payload="{}",
                status=status, attempts=attempts, next_attempt_at=at,
            ))


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def job(engine: Engine, *, holder: str | None = None, batch: int = 1000) -> RetentionJob:
    policy = RetentionPolicy(checks=timedelta(days=30), outbox=timedelta(days=7), batch=batch)
    return RetentionJob(engine, clock=lambda: NOW, policy=policy, holder=holder)


def seed_history(engine: Engine) -> None:
    for contract in ("orders", "users", "events"):
        add_checks(engine, contract, OLD, ["on_time"] * 6 + ["late", "check_failed"])
    add_outbox(engine, OLD, [SENT] * 5 + [SUPERSEDED] * 2 + [FAILED, DEAD])
    add_outbox(engine, OLD, [SENT, FAILED], attempts=3)
    add_outbox(engine, NOW, [PENDING, SENDING])
    add_outbox(engine, NOW, [PENDING], attempts=2)


def test_metrics_equal_the_full_scan_at_every_stage(engine: Engine) -> None:
    seed_history(engine)
    assert scrape(engine) == full_scan(engine)  # nothing folded yet: all is tail
    retention = RetentionJob(engine, clock=lambda: NOW, policy=RetentionPolicy(None, None))
    retention.run_once()  # sees the newest ids
    retention.run_once()  # folds up to them
    with Session(engine) as session:
        marks = {t.label: t.value for t in session.scalars(select(MetricTotal))
                 if t.name == "mark"}
    assert marks["check_results"] == 24  # all checks folded
    assert marks["outbox"] == 11  # up to the first undelivered message
    add_checks(engine, "orders", NOW - timedelta(minutes=30), ["late", "recovered"])
    add_outbox(engine, NOW, [SENT, DEAD], attempts=4)
    assert scrape(engine) == full_scan(engine)  # folded totals + tail
    with Session(engine) as session, session.begin():  # a pending message is delivered
        session.execute(update(OutboxMessage).where(OutboxMessage.status == PENDING)
                        .values(status=SENT, attempts=OutboxMessage.attempts + 1))
    retention.run_once()
    assert scrape(engine) == full_scan(engine)


def test_pruning_keeps_counters_and_counts_gauges_of_what_is_left(engine: Engine) -> None:
    seed_history(engine)
    retention = job(engine, batch=2)
    before = full_scan(engine)
    retention.run_once()
    retention.run_once()  # folded, rolled up, pruned
    assert count(engine, OutboxMessage, OutboxMessage.status.in_((SENT, SUPERSEDED))) == 0
    assert count(engine, CheckResult) == 3  # the latest of each contract
    after = scrape(engine)
    counters = {k: v for k, v in before.items() if k[0].endswith("_total")}
    assert {k: after[k] for k in counters} == counters  # pruning takes nothing from counters
    assert after[("demarc_outbox_messages", (("status", "sent"),))] == 0
    assert after[("demarc_outbox_messages", (("status", "failed"),))] == 2
    assert after[("demarc_outbox_dead_letters", ())] == 1
    assert after[("demarc_outbox_depth", ())] == 3
    gauges = full_scan(engine)  # of the rows left, the full scan's gauges agree
    for key in (k for k in gauges if k[0] in ("demarc_outbox_messages", "demarc_contracts")):
        assert after[key] == gauges[key], key


def test_pruning_deletes_old_checks_in_batches_and_keeps_what_alerts_need(
    engine: Engine,
) -> None:
    add_checks(engine, "plain", OLD, ["on_time"] * 10)
    add_checks(engine, "alerted", OLD, ["on_time"] * 4 + ["late"] * 6, key="2026-10-22")
    add_checks(engine, "incident", OLD, ["late"] * 10, key="2026-10-22")
    add_checks(engine, "recovered", OLD, ["late"] * 10, key="2026-10-22")
    add_checks(engine, "plain", NOW - timedelta(days=2), ["on_time"] * 3)  # within retention
    with Session(engine) as session, session.begin():
        session.add(Alert(contract_id="alerted", period_key="2026-10-23", status="open",
                          channel="C0FEED001", opened_at=OLD + timedelta(minutes=20)))
        done = Alert(contract_id="incident", period_key="2026-10-22", status="recovered",
                     channel="C0FEED001", opened_at=OLD)
        gone = Alert(contract_id="recovered", period_key="2026-10-22", status="recovered",
                     channel="C0FEED001", opened_at=OLD)
        incident = Incident(asset="incident", summary="late", severity="sev2",
                            opened_severity="sev2", status="acknowledged", channel="C0INC0001",
                            plan="{}", opened_at=OLD)
        session.add_all([done, gone, incident])
        session.flush()
        session.add(OpenIncident(asset="incident", incident_id=incident.id))
        session.add(IncidentAlert(incident_id=incident.id, alert_id=done.id, linked_at=OLD))
    retention = job(engine, batch=4)
    retention.run_once()
    run = retention.run_once()
    # plain: its 10 old ones (newer exist); alerted: 4 before the alert opened; recovered: 9
    assert run.checks_pruned == 10 + 4 + 9
    assert run.batches >= 6  # 23 rows, 4 at a time

    def left(contract: str) -> int:
        return count(engine, CheckResult, CheckResult.contract_id == contract)

    assert left("plain") == 3  # the recent ones (the latest among them)
    assert left("alerted") == 6  # from the alert's opening on
    assert left("incident") == 10  # its alert belongs to an unresolved incident
    assert left("recovered") == 1  # only the latest
    assert retention.run_once().checks_pruned == 0  # nothing more to do


def test_rollup_counts_a_day_and_rerunning_it_adds_nothing(engine: Engine) -> None:
    day = date(2026, 11, 20)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    add_checks(engine, "orders", start, ["on_time", "on_time"], key="2026-11-19")
    add_checks(engine, "orders", start + timedelta(hours=1),
               ["late", "late", "recovered", "check_failed"], key="2026-11-20")
    add_checks(engine, "users", start, ["late"], key="2026-11-20")  # late to the day's end
    add_checks(engine, "orders", start + timedelta(days=1), ["on_time"], key="2026-11-21")
    with Session(engine) as session, session.begin():
        assert roll_day(engine, session, day) == 2
    with Session(engine) as session, session.begin():
        roll_day(engine, session, day)  # again: same values
    retention = job(engine)
    retention.run_once()
    retention.run_once()  # rolls 11-21 too, not 11-20 again
    with Session(engine) as session:
        rows = {(r.contract_id, r.day): r for r in session.scalars(select(CheckRollup))}
    orders = rows[("orders", day)]
    assert (orders.checks, orders.failures) == (6, 1)
    assert (orders.expected_periods, orders.on_time_periods, orders.late_periods) == (2, 1, 1)
    assert orders.downtime_minutes == 10  # late at 11:00 and 11:05, recovered at 11:10
    users = rows[("users", day)]
    assert (users.checks, users.late_periods, users.downtime_minutes) == (1, 1, 14 * 60)
    assert rows[("orders", date(2026, 11, 21))].checks == 1
    assert len(rows) == 3


def test_a_day_off_the_calendar_is_not_an_expected_period(engine: Engine) -> None:
    """A weekday contract's Saturday (issue 13's NOT_EXPECTED) is neither on time nor late."""
    day = date(2026, 11, 21)  # a Saturday
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    add_checks(engine, "weekday", start, ["not_expected", "not_expected"], key="2026-11-21")
    add_checks(engine, "weekday", start + timedelta(hours=2), ["on_time"], key="2026-11-20")
    with Session(engine) as session, session.begin():
        roll_day(engine, session, day)
    with Session(engine) as session:
        row = session.get(CheckRollup, ("weekday", day))
    assert row is not None
    assert row.checks == 3
    assert (row.expected_periods, row.on_time_periods, row.late_periods) == (1, 1, 0)


def test_only_the_lease_holder_prunes_and_a_stale_holder_changes_nothing(
    engine: Engine,
) -> None:
    add_checks(engine, "plain", OLD, ["on_time"] * 10)
    first, second = job(engine, holder="replica-a"), job(engine, holder="replica-b")
    assert first.run_once().held
    assert not second.run_once().held  # replica-a holds it
    assert first.lease is not None
    stale = first.lease.fence()
    with Session(engine) as session, session.begin():  # replica-a paused past its lease
        session.execute(update(Lease).where(Lease.name == "retention")
                        .values(expires_at=NOW - timedelta(days=365)))
    assert second.run_once().checks_pruned == 9  # replica-b took over
    add_checks(engine, "other", OLD, ["on_time"] * 10)
    second.run_once()  # folds the new rows
    assert not first.run(stale).held  # replica-a wakes up: its fence no longer holds
    assert count(engine, CheckResult, CheckResult.contract_id == "other") == 10
    assert second.run_once().checks_pruned == 9


def test_a_long_history_is_folded_in_bounded_steps_within_one_run(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.ops import totals

    monkeypatch.setattr(totals, "FOLD_MAX", 5)
    seed_history(engine)
    retention = RetentionJob(engine, clock=lambda: NOW, policy=RetentionPolicy(None, None))
    retention.run_once()  # sees the newest ids
    retention.run_once()  # folds them, 5 at a time
    with Session(engine) as session:
        mark = session.get(MetricTotal, ("mark", "check_results"))
    assert mark is not None
    assert mark.value == 24
    assert scrape(engine) == full_scan(engine)
