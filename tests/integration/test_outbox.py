"""The outbox against the fake Slack server, on SQLite and PostgreSQL, with a fake clock.

Every count is of what reached the fake server; no test sleeps to wait for a backoff.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bot.db.engine import make_engine
from bot.db.models import OutboxMessage, SlackRoot
from bot.jobs.schedule import deliver_outbox
from bot.jobs.scheduler import Job, Periodic, make_scheduler
from bot.outbox import FAILED, PENDING, SENDING, SENT, UPDATE, OutboxWorker, enqueue
from bot.outbox.enqueue import utc
from tests.fakes.fake_slack import FakeSlack, wait_for

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POST = "chat.postMessage"


class FakeClock:
    """The worker's clock: moves only when a test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_worker(engine: Engine, slack: FakeSlack, clock: FakeClock, **options: Any) -> OutboxWorker:
    client = WebClient(token="xoxb-test", base_url=slack.base_url)
    return OutboxWorker(engine, client, clock=clock, **options)


@pytest.fixture
def worker(engine: Engine, slack: FakeSlack, clock: FakeClock) -> OutboxWorker:
    return make_worker(engine, slack, clock)


def post(engine: Engine, clock: FakeClock, channel: str, text: str, *,
         method: str = POST, **options: Any) -> int:
    """Enqueue one message in a committed transaction of its own; its id."""
    with Session(engine) as session, session.begin():
        message = enqueue(session, method=method, channel=channel, now=clock.now,
                          payload={"text": text}, **options)
        session.flush()
        return message.id


def row(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def texts(slack: FakeSlack, method: str = POST) -> list[str]:
    return [request.body["text"] for request in slack.calls(method)]


def set_row(engine: Engine, message_id: int, **values: Any) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(**values))


def count_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


# -- threads ---------------------------------------------------------------------------------
def test_root_then_reply_in_thread_and_update_of_root(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*late*"}}]
    with Session(engine) as session, session.begin():
        root = enqueue(session, method=POST, channel="C1", now=clock.now,
                       payload={"text": "late", "blocks": blocks},
                       root_key="alert:1", is_root=True)
        reply = enqueue(session, method=POST, channel="C1", now=clock.now,
                        payload={"text": "still late"}, root_key="alert:1", in_thread=True)
        edit = enqueue(session, method=UPDATE, channel="C1", now=clock.now,
                       payload={"text": "recovered"}, root_key="alert:1")
        session.flush()
        ids = root.id, reply.id, edit.id

    assert worker.deliver_due() == 1
    clock.advance(1)
    assert worker.deliver_due() == 1
    clock.advance(1)
    assert worker.deliver_due() == 1
    clock.advance(60)
    assert worker.deliver_due() == 0

    root_row, reply_row, edit_row = (row(engine, i) for i in ids)
    posts, updates = slack.calls(POST), slack.calls(UPDATE)
    assert [p.body["text"] for p in posts] == ["late", "still late"]
    assert posts[0].body["blocks"] == blocks
    assert "thread_ts" not in posts[0].body
    assert root_row.ts is not None
    assert posts[1].body["thread_ts"] == root_row.ts
    assert posts[1].body["channel"] == "C1"
    assert len(updates) == 1
    assert updates[0].body == {"channel": "C1", "ts": root_row.ts, "text": "recovered"}
    assert [r.status for r in (root_row, reply_row, edit_row)] == [SENT, SENT, SENT]
    assert reply_row.ts != root_row.ts
    assert edit_row.ts == root_row.ts
    assert utc(root_row.sent_at or T0 - timedelta(1)) == T0
    with Session(engine) as session:
        slack_root = session.get(SlackRoot, "alert:1")
        assert slack_root is not None
        assert (slack_root.channel, slack_root.ts) == ("C1", root_row.ts)


def test_reply_enqueued_before_its_root_waits_without_holding_its_channel(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    reply = post(engine, clock, "C1", "reply", root_key="alert:7", in_thread=True)
    other = post(engine, clock, "C1", "unrelated")

    assert worker.deliver_due() == 1  # the unrelated message is not held back by the reply
    clock.advance(30)
    assert worker.deliver_due() == 0
    assert texts(slack) == ["unrelated"]
    waiting = row(engine, reply)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (PENDING, 0, None)

    root = post(engine, clock, "C1", "root", root_key="alert:7", is_root=True)
    assert worker.deliver_due() == 1
    assert texts(slack) == ["unrelated", "root"]
    clock.advance(1)
    assert worker.deliver_due() == 1
    assert texts(slack) == ["unrelated", "root", "reply"]
    assert slack.calls(POST)[2].body["thread_ts"] == row(engine, root).ts
    assert row(engine, reply).attempts == 1
    assert row(engine, other).status == SENT


def test_failed_root_posts_replies_outside_the_thread_and_abandons_edits(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    root = post(engine, clock, "C1", "root", root_key="alert:9", is_root=True)
    reply = post(engine, clock, "C1", "reply", root_key="alert:9", in_thread=True)
    edit = post(engine, clock, "C1", "edit", method=UPDATE, root_key="alert:9")
    slack.fail_next(POST, error="invalid_blocks")

    assert worker.deliver_due() == 0
    assert row(engine, root).status == FAILED
    clock.advance(1)
    assert worker.deliver_due() == 1
    clock.advance(60)
    assert worker.deliver_due() == 0

    assert texts(slack) == ["root", "reply"]
    assert "thread_ts" not in slack.calls(POST)[1].body
    assert slack.calls(UPDATE) == []
    replied, edited = row(engine, reply), row(engine, edit)
    assert replied.status == SENT
    assert replied.last_error == "root alert:9 failed; posted outside a thread"
    assert (edited.status, edited.attempts) == (FAILED, 0)
    assert edited.last_error == "root alert:9 failed; nothing to update"


# -- outages and rate limits -----------------------------------------------------------------
def test_outage_backs_off_then_delivers_everything_once_and_in_order(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(engine, slack, clock, max_backoff=timedelta(seconds=6))
    ids = [post(engine, clock, "C1", f"m{i}") for i in range(3)]
    slack.fail_next(POST, times=4, status=500)

    for attempt in range(1, 5):
        assert worker.deliver_due() == 0
        assert len(slack.calls(POST)) == attempt
        head = row(engine, ids[0])
        assert (head.status, head.attempts) == (PENDING, attempt)
        assert head.last_error == "HTTP 500: fatal_error"
        full = min(timedelta(seconds=2**attempt), timedelta(seconds=6))
        wait = utc(head.next_attempt_at) - clock.now
        assert full / 2 <= wait <= full
        clock.now = utc(head.next_attempt_at) - timedelta(milliseconds=1)
        assert worker.deliver_due() == 0  # the backoff is respected, the channel is held
        assert len(slack.calls(POST)) == attempt
        clock.now = utc(head.next_attempt_at)

    assert worker.deliver_due() == 1
    for _ in range(2):
        clock.advance(1)
        assert worker.deliver_due() == 1
    clock.advance(3600)
    assert worker.deliver_due() == 0

    assert texts(slack) == ["m0"] * 5 + ["m1", "m2"]
    rows = [row(engine, i) for i in ids]
    assert [r.status for r in rows] == [SENT] * 3
    assert [r.attempts for r in rows] == [5, 1, 1]
    assert len({r.ts for r in rows}) == 3
    assert all("xoxb" not in (r.last_error or "") for r in rows)


def test_429_waits_retry_after_without_holding_other_channels(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    a1 = post(engine, clock, "C1", "a1")
    post(engine, clock, "C2", "b1")
    post(engine, clock, "C1", "a2")
    post(engine, clock, "C2", "b2")
    slack.fail_next(POST, status=429, retry_after=3)

    assert worker.deliver_due() == 1  # a1 rate limited, b1 sent
    limited = row(engine, a1)
    assert (limited.status, limited.attempts) == (PENDING, 1)
    assert utc(limited.next_attempt_at) == T0 + timedelta(seconds=3)
    assert limited.last_error == "ratelimited (HTTP 429)"
    clock.advance(1)
    assert worker.deliver_due() == 1  # b2: C2 goes on while C1 waits
    clock.now = T0 + timedelta(seconds=2.999)
    assert worker.deliver_due() == 0
    assert texts(slack) == ["a1", "b1", "b2"]

    clock.now = T0 + timedelta(seconds=3)
    assert worker.deliver_due() == 1
    clock.advance(1)
    assert worker.deliver_due() == 1
    assert texts(slack) == ["a1", "b1", "b2", "a1", "a2"]


def test_ratelimited_error_without_http_429_is_retried(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    message = post(engine, clock, "C1", "hello")
    slack.fail_next(POST, error="ratelimited")

    assert worker.deliver_due() == 0
    limited = row(engine, message)
    assert (limited.status, limited.attempts) == (PENDING, 1)
    assert limited.last_error == "ratelimited (HTTP 200)"
    clock.now = utc(limited.next_attempt_at)
    assert worker.deliver_due() == 1
    assert texts(slack) == ["hello", "hello"]


def test_per_channel_pacing(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    post(engine, clock, "C1", "x")
    post(engine, clock, "C1", "y")
    post(engine, clock, "C2", "z")

    assert worker.deliver_due() == 2
    assert texts(slack) == ["x", "z"]
    assert worker.deliver_due() == 0
    clock.advance(0.999)
    assert worker.deliver_due() == 0
    clock.advance(0.001)
    assert worker.deliver_due() == 1
    assert texts(slack) == ["x", "z", "y"]


def test_permanent_error_fails_once_and_is_not_retried(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = post(engine, clock, "C404", "to nowhere")
    after = post(engine, clock, "C404", "next")
    slack.fail_next(POST, error="channel_not_found")

    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        assert worker.deliver_due() == 0
        clock.advance(1)
        assert worker.deliver_due() == 1  # a failed message does not hold its channel
        clock.advance(3600)
        assert worker.deliver_due() == 0

    failed = row(engine, bad)
    assert (failed.status, failed.last_error, failed.attempts) == (
        FAILED, "channel_not_found", 1)
    assert row(engine, after).status == SENT
    assert texts(slack) == ["to nowhere", "next"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "channel_not_found" in errors[0].getMessage()


def test_connection_refused_is_retried_with_backoff(
    engine: Engine, clock: FakeClock
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{port}/api/",
                       retry_handlers=[])
    worker = OutboxWorker(engine, client, clock=clock)
    message = post(engine, clock, "C1", "hello")

    assert worker.deliver_due() == 0
    refused = row(engine, message)
    assert (refused.status, refused.attempts) == (PENDING, 1)
    assert (refused.last_error or "").startswith("URLError: ")
    assert utc(refused.next_attempt_at) > clock.now


def test_timeout_is_retried_with_backoff(engine: Engine, clock: FakeClock) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        client = WebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{port}/api/",
                           timeout=1, retry_handlers=[])
        worker = OutboxWorker(engine, client, clock=clock)
        message = post(engine, clock, "C1", "hello")
        assert worker.deliver_due() == 0
    timed_out = row(engine, message)
    assert (timed_out.status, timed_out.attempts) == (PENDING, 1)
    assert "timed out" in (timed_out.last_error or "")


# -- crashes, restarts, concurrency ----------------------------------------------------------
def test_a_new_worker_resumes_what_the_first_left_pending(
    engine: Engine, database_url: str, slack: FakeSlack, clock: FakeClock
) -> None:
    first = make_worker(engine, slack, clock)
    a = post(engine, clock, "C1", "a")
    post(engine, clock, "C1", "b")
    post(engine, clock, "C2", "c")
    slack.fail_next(POST, status=503)
    assert first.deliver_due() == 1  # a failed transiently, c sent
    del first

    restarted_engine = make_engine(database_url)
    try:
        second = make_worker(restarted_engine, slack, clock)
        assert second.deliver_due() == 0  # a's backoff survives the restart
        clock.now = utc(row(engine, a).next_attempt_at)
        assert second.deliver_due() == 1
        clock.advance(1)
        assert second.deliver_due() == 1
        clock.advance(3600)
        assert second.deliver_due() == 0
    finally:
        restarted_engine.dispose()
    assert texts(slack) == ["a", "c", "a", "b"]


def test_a_row_stuck_in_sending_past_the_lease_is_sent_again(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    stuck = post(engine, clock, "C1", "stuck")
    in_flight = post(engine, clock, "C2", "in flight")
    set_row(engine, stuck, status=SENDING, attempts=1, next_attempt_at=T0 - timedelta(minutes=3))
    set_row(engine, in_flight, status=SENDING, attempts=1,
            next_attempt_at=T0 - timedelta(seconds=30))

    assert worker.deliver_due() == 1
    assert texts(slack) == ["stuck"]
    resent = row(engine, stuck)
    assert (resent.status, resent.attempts) == (SENT, 2)
    assert row(engine, in_flight).status == SENDING  # within its lease: left alone

    clock.advance(91)
    assert worker.deliver_due() == 1
    assert texts(slack) == ["stuck", "in flight"]


def test_concurrent_workers_never_send_a_message_twice(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    expected = {f"m{i}": f"C{i % 4}" for i in range(24)}
    for text, channel in expected.items():
        post(engine, clock, channel, text)
    workers = [make_worker(engine, slack, clock, per_channel_interval=timedelta(0))
               for _ in range(3)]
    failures: list[BaseException] = []

    def drain(worker: OutboxWorker) -> None:
        try:
            for _ in range(100):
                worker.deliver_due()
                if worker.depth(clock.now)[0] == 0:
                    return
        except BaseException as error:  # reported to the test thread
            failures.append(error)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    sent = texts(slack)
    assert sorted(sent) == sorted(expected)
    for channel in set(expected.values()):  # and in order within each channel
        in_channel = [t for t in sent if expected[t] == channel]
        assert in_channel == sorted(in_channel, key=lambda t: int(t[1:]))


def test_enqueue_in_a_rolled_back_transaction_leaves_nothing(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker
) -> None:
    with Session(engine) as session:
        enqueue(session, method=POST, channel="C1", now=clock.now, payload={"text": "never"})
        session.flush()
        assert count_rows(engine) == 0  # not committed by enqueue
        session.rollback()

    assert count_rows(engine) == 0
    assert worker.deliver_due() == 0
    assert slack.requests == []


def test_enqueue_commits_with_the_callers_transaction(engine: Engine, clock: FakeClock) -> None:
    with Session(engine) as session, session.begin():
        message = enqueue(session, method=POST, channel="C1", now=clock.now,
                          payload={"text": "hi", "blocks": []})
        assert message.status == PENDING
    assert count_rows(engine) == 1


def test_enqueue_rejects_inconsistent_messages(engine: Engine, clock: FakeClock) -> None:
    bad: list[dict[str, Any]] = [
        {"method": "chat.delete"},
        {"payload": {"blocks": []}},
        {"payload": {"text": "x", "thread_ts": "1.2"}},
        {"in_thread": True},
        {"method": UPDATE},
        {"is_root": True, "in_thread": True, "root_key": "k"},
        {"method": UPDATE, "in_thread": True, "root_key": "k"},
    ]
    with Session(engine) as session:
        for options in bad:
            arguments: dict[str, Any] = {"method": POST, "payload": {"text": "x"}, **options}
            with pytest.raises(ValueError):
                enqueue(session, channel="C1", now=clock.now, **arguments)
        assert not session.new


# -- the worker's shape ----------------------------------------------------------------------
def test_depth_counts_undelivered_messages_and_the_oldest_age(
    engine: Engine, clock: FakeClock, worker: OutboxWorker
) -> None:
    assert worker.depth(clock.now) == (0, None)
    post(engine, clock, "C1", "a")
    clock.advance(30)
    post(engine, clock, "C1", "b")
    assert worker.depth(T0 + timedelta(seconds=60)) == (2, timedelta(seconds=60))
    assert worker.deliver_due() == 1
    assert worker.depth(T0 + timedelta(seconds=60)) == (1, timedelta(seconds=30))


def test_run_survives_an_exception_and_stops_when_asked(
    engine: Engine, slack: FakeSlack, clock: FakeClock, worker: OutboxWorker,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    real = worker.deliver_due
    rounds: list[int] = []

    def flaky() -> int:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database went away")
        return real()

    monkeypatch.setattr(worker, "deliver_due", flaky)
    post(engine, clock, "C1", "hello")
    # The outbox job as `serve` runs it: on the one scheduler, every 10 ms here.
    job = Job("outbox", timedelta(seconds=0.01), deliver_outbox(worker, None))
    periodic = Periodic(make_scheduler(), [job])
    with caplog.at_level(logging.ERROR, logger="bot.outbox"):
        periodic.start()
        wait_for(lambda: texts(slack) == ["hello"], message="delivery after the error")
        periodic.stop()
        periodic.scheduler.shutdown()
    assert not periodic.scheduler.running
    failed_rounds = [r for r in caplog.records if "ref" in r.getMessage()]
    assert len(failed_rounds) == 1
    assert failed_rounds[0].exc_info is not None


def test_a_client_that_sleeps_on_429_is_refused(engine: Engine, clock: FakeClock) -> None:
    client = WebClient(token="xoxb-test", retry_handlers=[RateLimitErrorRetryHandler()])
    with pytest.raises(ValueError, match="RateLimitErrorRetryHandler"):
        OutboxWorker(engine, client, clock=clock)
