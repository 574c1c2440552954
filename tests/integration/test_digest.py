"""The weekly digest: 3 replicas, once per team per week, delivered with its chart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.db.models import CheckRollup, DigestPost, Incident, OutboxMessage
from bot.outbox.worker import OutboxWorker
from bot.reports.digest_job import DigestJob
from ownership.loader import guarded_load
from ownership.model import Registry
from ownership.reports.digest_time import parse_schedule
from tests.conftest import EXAMPLE_REGISTRY
from tests.fakes.fake_slack import FakeSlack
from tests.integration.test_outbox import FakeClock

MONDAY_0855_BERLIN = datetime(2026, 11, 30, 7, 55, tzinfo=UTC)
TEAMS_WITH_A_CHANNEL = 3  # product has none


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def registry() -> Registry:
    loaded = guarded_load(EXAMPLE_REGISTRY).registry
    assert loaded is not None
    return loaded


def seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add_all([
            CheckRollup(contract_id="usage_logs", day=date(2026, 11, d), expected_periods=1,
                        on_time_periods=0 if d == 24 else 1, late_periods=1 if d == 24 else 0,
                        downtime_minutes=30 if d == 24 else 0, checks=5, failures=0)
            for d in range(16, 30)
        ])
        session.add(Incident(asset="usage_logs", summary="logs <late>", severity="sev2",
                             opened_severity="sev2", status="open", channel="C0INC0001",
                             plan="{}", opened_at=datetime(2026, 11, 24, tzinfo=UTC)))


def replicas(engine: Engine, clock: FakeClock) -> list[DigestJob]:
    schedule = parse_schedule("mon 09:00", "Europe/Berlin")
    return [DigestJob(engine, registry, schedule, f"replica-{n}", clock) for n in range(3)]


def queued(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(DigestPost)) or 0)


def test_three_replicas_queue_each_team_once_a_week(engine: Engine) -> None:
    seed(engine)
    clock = FakeClock(MONDAY_0855_BERLIN)
    jobs = replicas(engine, clock)
    assert sum(job.run_once() for job in jobs) == 0  # 08:55 in Berlin: not yet
    clock.advance(10 * 60)
    assert sum(job.run_once() for job in jobs) == TEAMS_WITH_A_CHANNEL
    for _ in range(3):
        clock.advance(3600)
        assert sum(job.run_once() for job in jobs) == 0
    jobs[0].release()  # the holder stops: another replica takes over, and still posts nothing
    assert sum(job.run_once() for job in jobs) == 0
    clock.advance(7 * 24 * 3600)
    assert sum(job.run_once() for job in jobs) == TEAMS_WITH_A_CHANNEL
    with Session(engine) as session:
        weeks = session.execute(
            select(DigestPost.team, DigestPost.week).order_by(DigestPost.week, DigestPost.team)
        ).all()
    assert [w for _, w in weeks] == [date(2026, 11, 23)] * 3 + [date(2026, 11, 30)] * 3
    assert queued(engine) == 2 * TEAMS_WITH_A_CHANNEL


def test_the_digest_reaches_slack_with_its_chart(engine: Engine, slack: FakeSlack) -> None:
    seed(engine)
    clock = FakeClock(MONDAY_0855_BERLIN + timedelta(minutes=10))
    [job, *_] = replicas(engine, clock)
    assert job.run_once() == TEAMS_WITH_A_CHANNEL
    worker = OutboxWorker(engine, WebClient(token="xoxb-test", base_url=slack.base_url),
                          clock=clock)
    for _ in range(5):
        worker.deliver_due()
        clock.advance(2)
    with Session(engine) as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * TEAMS_WITH_A_CHANNEL
    uploads = slack.uploads()
    assert len(uploads) == TEAMS_WITH_A_CHANNEL
    by_channel = {done.body.get("channel_id"): (done, png) for done, png in uploads}
    done, png = by_channel["#data-eng-oncall"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    blocks = str(done.body.get("blocks"))
    assert "Weekly SLA digest: Data Engineering" in blocks
    assert "86%" in blocks  # usage_logs: 6 of 7 periods on time in the week of 23 November
    assert "logs &lt;late&gt;" in blocks  # the open incident, escaped
