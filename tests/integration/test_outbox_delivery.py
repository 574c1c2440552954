"""The outbox when a row is bad or replicas race: dead letters keep the channel flowing, a
paused worker cannot post what another posted, urgent messages go before routine edits.

Counts are of what reached the fake Slack server; time moves on a fake clock (backoff) and in
the database (leases, claims, heartbeats), never by sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.db.leases import HOLDER_DEAD_AFTER, LeaseKeeper, register_replica
from bot.db.models import OutboxMessage
from bot.ops.metrics import Metrics
from bot.outbox import (
    DEAD,
    FAILED,
    PENDING,
    ROUTINE,
    SENDING,
    SENT,
    SUPERSEDED,
    UPDATE,
    URGENT,
    OutboxWorker,
    enqueue,
    store,
)
from bot.outbox.dead import dead_letters
from bot.outbox.enqueue import utc
from tests.fakes.fake_slack import FakeSlack
from tests.integration.db_time import age_send_claims, expire_lease, last_heartbeat
from tests.integration.test_outbox import POST, FakeClock, make_worker, post, row, set_row, texts

ADMIN = "#demarc-admin"
POISON = {"type": "section", "text": {"type": "mrkdwn", "text": "poison"}}  # Slack 500s on it


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def worker(engine: Engine, slack: FakeSlack, clock: FakeClock) -> OutboxWorker:
    return make_worker(engine, slack, clock)


def drain(worker: OutboxWorker, engine: Engine, clock: FakeClock, rounds: int = 40) -> None:
    """Deliver round after round, jumping the clock to the next retry each time."""
    for _ in range(rounds):
        worker.deliver_due()
        clock.advance(1)
        with Session(engine) as session:
            due = session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                                 .where(OutboxMessage.status == PENDING))
        if due is None:
            return
        clock.now = max(clock.now, utc(due))


def admin_posts(slack: FakeSlack) -> list[str]:
    return [r.body["text"] for r in slack.calls(POST) if r.body["channel"] == ADMIN]


# -- dead letters ----------------------------------------------------------------------------
def test_a_row_that_makes_the_call_raise_is_set_aside_and_its_channel_flows(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(engine, slack, clock, max_attempts=3, admin_channel=ADMIN)
    bad = post(engine, clock, "C0FEED001", "placeholder")
    set_row(engine, bad, payload=json.dumps({"text": 5}))  # slack_sdk raises on it
    after = post(engine, clock, "C0FEED001", "next breach")

    drain(worker, engine, clock)

    dead = row(engine, bad)
    assert (dead.status, dead.attempts) == (DEAD, 3)
    assert dead.last_error == "unexpected AttributeError (after 3 attempts)"
    assert row(engine, after).status == SENT
    assert [t for t in texts(slack) if t == "next breach"] == ["next breach"]
    [notice] = admin_posts(slack)  # told once
    assert f"outbox message {bad} to <#C0FEED001>" in notice
    assert "`unexpected AttributeError (after 3 attempts)`" in notice
    assert "`demarc status`" in notice
    [letter] = dead_letters(engine)
    assert (letter.id, letter.channel) == (bad, "C0FEED001")
    body = Metrics(engine, lambda: clock.now).render().decode()
    assert "demarc_outbox_dead_letters 1.0" in body


def test_a_row_slack_answers_500_forever_is_set_aside_after_the_cap(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(engine, slack, clock, max_attempts=4, admin_channel=ADMIN)
    slack.fail_always(POST, contains="poison", status=500)
    bad = post(engine, clock, "C1", "late")
    set_row(engine, bad, payload=json.dumps({"text": "late", "blocks": [POISON]}))
    after = post(engine, clock, "C1", "next breach")
    other = post(engine, clock, "C2", "elsewhere")

    drain(worker, engine, clock)

    assert texts(slack).count("late") == 4
    dead = row(engine, bad)
    assert dead.status == DEAD
    assert dead.last_error == "HTTP 500: fatal_error (after 4 attempts)"
    assert (row(engine, after).status, row(engine, other).status) == (SENT, SENT)
    assert len(admin_posts(slack)) == 1
    clock.advance(3600)
    drain(worker, engine, clock)
    assert len(admin_posts(slack)) == 1
    assert texts(slack).count("late") == 4  # a dead letter is never retried


def test_a_slack_outage_delays_but_never_dead_letters(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(engine, slack, clock, max_attempts=2, admin_channel=ADMIN)
    slack.fail_always(POST, status=503)
    slack.fail_always("auth.test", status=503)
    message = post(engine, clock, "C1", "late")

    drain(worker, engine, clock, rounds=8)

    waiting = row(engine, message)
    assert waiting.status == PENDING
    assert waiting.attempts == 8
    assert dead_letters(engine) == []


def test_a_row_that_cannot_be_read_is_set_aside_at_once(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(engine, slack, clock, admin_channel=ADMIN)
    bad = post(engine, clock, "C1", "placeholder")
    set_row(engine, bad, payload="{not json")
    after = post(engine, clock, "C1", "next breach")

    worker.deliver_due()  # set aside without a Slack call
    assert row(engine, bad).status == DEAD
    assert slack.calls(POST) == []
    drain(worker, engine, clock)

    assert row(engine, bad).status == DEAD
    assert row(engine, bad).last_error == store.UNREADABLE
    assert row(engine, after).status == SENT
    assert len(admin_posts(slack)) == 1


def test_replies_to_a_dead_root_go_out_and_its_edits_are_dead_too(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(engine, slack, clock, max_attempts=2)
    slack.fail_always(POST, contains="poison", status=500)
    root = post(engine, clock, "C1", "root", root_key="alert:3", is_root=True)
    set_row(engine, root, payload=json.dumps({"text": "root", "blocks": [POISON]}))
    reply = post(engine, clock, "C1", "recovered", root_key="alert:3", in_thread=True)
    edit = post(engine, clock, "C1", "edit", method=UPDATE, root_key="alert:3")

    drain(worker, engine, clock)

    assert row(engine, root).status == DEAD
    replied = row(engine, reply)
    assert replied.status == SENT
    assert replied.last_error == "root alert:3 undeliverable (dead letter); posted outside a thread"
    assert "thread_ts" not in slack.calls(POST)[-1].body
    edited = row(engine, edit)
    assert (edited.status, edited.attempts) == (DEAD, 0)
    assert edited.last_error == "root alert:3 undeliverable (dead letter)"
    assert slack.calls(UPDATE) == []


# -- fencing: a paused worker that wakes up ---------------------------------------------------
def two_workers(engine: Engine, slack: FakeSlack, clock: FakeClock) -> tuple[
    tuple[OutboxWorker, LeaseKeeper], tuple[OutboxWorker, LeaseKeeper]
]:
    pairs = []
    for name in ("replica-a", "replica-b"):
        worker = make_worker(engine, slack, clock, holder=name)
        pairs.append((worker, LeaseKeeper(engine, "outbox", name, ttl=timedelta(seconds=20))))
    return pairs[0], pairs[1]


@pytest.mark.parametrize("paused_past", ["outbox lease", "outbox lease and send claim"])
def test_a_worker_paused_past_its_lease_posts_nothing_when_it_wakes(
    engine: Engine, slack: FakeSlack, clock: FakeClock, paused_past: str
) -> None:
    (worker_a, lease_a), (worker_b, lease_b) = two_workers(engine, slack, clock)
    message = post(engine, clock, "C1", "customer_master_db is late")
    assert lease_a.acquire() is not None
    [queued] = store.candidates(engine, clock.now, 10)
    assert isinstance(queued, store.Queued)
    claimed = worker_a.take(queued, set())  # A claimed the row ... and pauses here
    assert claimed is not None

    expire_lease(engine, "outbox")
    if paused_past == "outbox lease and send claim":
        age_send_claims(engine, timedelta(minutes=3))
    assert lease_b.acquire() is not None
    delivered_by_b = worker_b.deliver_due(fence=lease_b.fence())

    assert worker_a.send(claimed, lease_a.fence()) == 0  # A wakes: refused by the database
    clock.advance(1)
    delivered_by_b += worker_b.deliver_due(fence=lease_b.fence())
    assert delivered_by_b == 1
    assert texts(slack) == ["customer_master_db is late"]  # once
    assert row(engine, message).status == SENT


def test_a_worker_whose_lease_was_taken_sends_nothing_in_its_round(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    (worker_a, lease_a), (_, lease_b) = two_workers(engine, slack, clock)
    post(engine, clock, "C1", "a")
    assert lease_a.acquire() is not None
    fence = lease_a.fence()
    expire_lease(engine, "outbox")
    assert lease_b.acquire() is not None

    assert worker_a.deliver_due(fence=fence) == 0
    assert slack.calls(POST) == []


def test_rows_claimed_by_a_replica_whose_heartbeat_stopped_are_released_before_the_lease(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    register_replica(engine, "killed")
    message = post(engine, clock, "C1", "late")
    assert store.claim(engine, message, clock.now, "killed") is not None  # then SIGKILL
    worker = make_worker(engine, slack, clock, lease=timedelta(minutes=2))

    last_heartbeat(engine, "killed", HOLDER_DEAD_AFTER - timedelta(seconds=5))
    assert worker.deliver_due() == 0  # it may be alive: wait
    assert row(engine, message).status == SENDING
    last_heartbeat(engine, "killed", HOLDER_DEAD_AFTER + timedelta(seconds=1))
    assert worker.deliver_due() == 1  # proven gone: no need to wait out the 2 minutes
    assert texts(slack) == ["late"]


# -- priority and superseded edits ------------------------------------------------------------
def deliver_root(engine: Engine, worker: OutboxWorker, clock: FakeClock, key: str) -> None:
    post(engine, clock, "C1", f"root {key}", root_key=key, is_root=True)
    assert worker.deliver_due() == 1
    clock.advance(1)


def test_new_roots_and_replies_go_before_routine_edits(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    deliver_root(engine, worker, clock, "alert:1")
    deliver_root(engine, worker, clock, "alert:2")
    post(engine, clock, "C1", "edit 1", method=UPDATE, root_key="alert:1")
    post(engine, clock, "C1", "edit 2", method=UPDATE, root_key="alert:2")
    post(engine, clock, "C1", "new breach", root_key="alert:3", is_root=True)
    post(engine, clock, "C1", "still late", root_key="alert:1", in_thread=True)
    post(engine, clock, "C1", "recovered", method=UPDATE, root_key="alert:2", priority=URGENT)

    order: list[str] = []
    for _ in range(6):
        before = len(slack.requests)
        worker.deliver_due()
        order += [r.body["text"] for r in slack.requests[before:]]
        clock.advance(1)

    # The urgent recovery edit of alert:2 supersedes its routine edit.
    assert order == ["new breach", "still late", "recovered", "edit 1"]


def test_only_the_latest_of_several_pending_edits_is_sent(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    deliver_root(engine, worker, clock, "alert:1")
    first = post(engine, clock, "C1", "late 1 h", method=UPDATE, root_key="alert:1",
                 priority=URGENT)
    second = post(engine, clock, "C1", "late 2 h", method=UPDATE, root_key="alert:1")
    last = post(engine, clock, "C1", "late 3 h", method=UPDATE, root_key="alert:1")

    for _ in range(4):
        worker.deliver_due()
        clock.advance(1)

    assert [r.body["text"] for r in slack.calls(UPDATE)] == ["late 3 h"]
    assert row(engine, first).status == SUPERSEDED
    assert row(engine, first).last_error == f"superseded by outbox message {last}"
    assert row(engine, second).status == SUPERSEDED
    assert (row(engine, last).status, row(engine, last).priority) == (SENT, URGENT)


def test_enqueue_derives_priority_from_the_kind_of_message(
    engine: Engine, clock: FakeClock
) -> None:
    cases: list[tuple[dict[str, Any], int]] = [
        ({"method": POST, "root_key": "k", "is_root": True}, URGENT),
        ({"method": POST, "root_key": "k", "in_thread": True}, URGENT),
        ({"method": POST}, URGENT),
        ({"method": UPDATE, "root_key": "k"}, ROUTINE),
        ({"method": UPDATE, "root_key": "k", "priority": URGENT}, URGENT),
    ]
    with Session(engine) as session:
        for options, expected in cases:
            message = enqueue(session, channel="C1", now=clock.now, payload={"text": "x"},
                              **options)
            assert message.priority == expected, options
        session.rollback()


def test_a_failed_root_still_fails_its_edits_not_dead_letters_them(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    slack.fail_next(POST, error="channel_not_found")
    post(engine, clock, "C1", "root", root_key="alert:5", is_root=True)
    edit = post(engine, clock, "C1", "edit", method=UPDATE, root_key="alert:5")
    worker.deliver_due()
    clock.advance(1)
    worker.deliver_due()
    assert row(engine, edit).status == FAILED
    assert dead_letters(engine) == []


def test_demarc_status_lists_dead_letters(
    engine: Engine, database_url: str, slack: FakeSlack, clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.main import main

    worker = make_worker(engine, slack, clock, max_attempts=1)
    slack.fail_always(POST, contains="poison", status=500)
    bad = post(engine, clock, "C0FEED001", "late")
    set_row(engine, bad, payload=json.dumps({"text": "late", "blocks": [POISON]}))
    worker.deliver_due()
    assert row(engine, bad).status == DEAD

    assert main(["status", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "1 dead letter(s): Slack messages set aside undelivered" in out
    [line] = [line for line in out.splitlines() if "C0FEED001" in line]
    assert line.split()[0] == str(bad)
    assert "chat.postMessage" in line
    assert "HTTP 500: fatal_error (after 1 attempt)" in line


def test_an_unexpected_error_while_sending_one_row_counts_against_it_not_the_round(
    engine: Engine, clock: FakeClock
) -> None:
    """A lookup that times out (not a Slack error) used to end every round at that row."""
    import socket

    from slack_sdk import WebClient

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = WebClient(token="xoxb-test", timeout=1, retry_handlers=[],
                           base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/api/")
        worker = OutboxWorker(engine, client, clock=clock, lease=timedelta(seconds=30))
        stuck = post(engine, clock, "#feed", "late")  # a dead worker was sending it
        assert store.claim(engine, stuck, clock.now, "dead-worker") is not None
        age_send_claims(engine, timedelta(minutes=1))

        assert worker.deliver_due() == 0  # no exception escapes the round

    again = row(engine, stuck)
    assert (again.status, again.failures) == (PENDING, 1)
    assert (again.last_error or "").startswith("unexpected ")
    assert utc(again.next_attempt_at) > clock.now
