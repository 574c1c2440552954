"""Parallel delivery: several channels at once, each paced and in order, edits coalesced,
urgent rows first under a backlog; on SQLite and PostgreSQL, against the fake Slack server.

Spacing is read from the arrival times the fake records on the test's fake clock, which
moves only when the test (or the worker's injected `sleep`) moves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.models import OutboxMessage
from bot.outbox import SENT, SUPERSEDED, UPDATE, URGENT, OutboxWorker, enqueue
from bot.outbox.rounds import GATHER
from bot.outbox.worker import DEFAULT_CONCURRENCY
from tests.fakes.fake_slack import FakeSlack
from tests.integration.test_outbox import POST, FakeClock, post, row

CHANNELS = ("C0AAA", "C0BBB", "C0CCC", "C0DDD")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack(clock: FakeClock) -> Iterator[FakeSlack]:
    """Slack's 1 call per second per channel, on the test's clock: a faster call gets 429."""
    with FakeSlack(per_channel=1.0, clock=lambda: clock.now.timestamp()) as fake:
        yield fake


def make_worker(slack: FakeSlack, engine: Engine, clock: FakeClock, **options: Any
                ) -> OutboxWorker:
    client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
    options.setdefault("concurrency", DEFAULT_CONCURRENCY)
    return OutboxWorker(engine, client, clock=clock, **options)


def drain(worker: OutboxWorker, clock: FakeClock, *, step: float = 0.25, rounds: int = 400
          ) -> int:
    delivered = 0
    for _ in range(rounds):
        delivered += worker.deliver_due()
        if worker.depth(clock.now)[0] == 0:
            return delivered
        clock.advance(step)
    raise AssertionError("outbox not drained")


def channel_of(slack: FakeSlack, channel: str) -> list[str]:
    return [r.body["text"] for r in slack.allowed if r.body["channel"] == channel]


def test_sends_to_several_channels_at_once(engine: Engine, slack: FakeSlack,
                                           clock: FakeClock) -> None:
    for channel in CHANNELS:
        post(engine, clock, channel, f"late in {channel}")
    slack.gather(len(CHANNELS))  # answered only once all four calls are in flight together
    worker = make_worker(slack, engine, clock)  # 8 at once

    assert worker.deliver_due() == len(CHANNELS)
    assert sorted(r.body["channel"] for r in slack.allowed) == sorted(CHANNELS)


def test_each_channel_keeps_its_spacing_and_order(engine: Engine, slack: FakeSlack,
                                                  clock: FakeClock) -> None:
    for n in range(5):
        for channel in CHANNELS:
            post(engine, clock, channel, f"{channel} {n}")
    worker = make_worker(slack, engine, clock)

    assert drain(worker, clock) == 5 * len(CHANNELS)
    assert slack.limited == []  # never faster than Slack allows
    for channel in CHANNELS:
        assert channel_of(slack, channel) == [f"{channel} {n}" for n in range(5)]
        assert min(slack.spacing(channel)) >= 1.0


def test_a_round_budget_sends_each_channel_again_once_its_second_has_passed(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    for n in range(4):
        for channel in CHANNELS[:2]:
            post(engine, clock, channel, f"{channel} {n}")
    worker = make_worker(slack, engine, clock, round_budget=timedelta(seconds=10),
                         sleep=clock.advance)

    assert worker.deliver_due() == 8  # one round: the worker waits out the pacing itself
    assert slack.limited == []
    for channel in CHANNELS[:2]:  # each as soon as its second has passed (give or take
        assert all(1.0 <= gap <= 1.0 + 2 * GATHER.total_seconds()  # the gathering of channels
                   for gap in slack.spacing(channel))              # coming free together)


def test_replies_wait_for_their_root_and_edits_go_in_order(engine: Engine, slack: FakeSlack,
                                                           clock: FakeClock) -> None:
    with Session(engine) as session, session.begin():
        for channel in CHANNELS:
            key = f"alert:{channel}"
            enqueue(session, method=POST, channel=channel, now=clock.now,
                    payload={"text": f"{channel} root"}, root_key=key, is_root=True)
            for n in range(2):
                enqueue(session, method=POST, channel=channel, now=clock.now,
                        payload={"text": f"{channel} reply {n}"}, root_key=key, in_thread=True)
            enqueue(session, method=UPDATE, channel=channel, now=clock.now,
                    payload={"text": f"{channel} edited"}, root_key=key)
    worker = make_worker(slack, engine, clock)

    drain(worker, clock)
    for channel in CHANNELS:
        calls = [r for r in slack.allowed if r.body["channel"] == channel]
        assert [c.body["text"] for c in calls] == [
            f"{channel} root", f"{channel} reply 0", f"{channel} reply 1", f"{channel} edited"
        ]
        root_ts = calls[0].body.get("thread_ts")
        assert root_ts is None
        with Session(engine) as session:
            ts = session.scalar(select(OutboxMessage.ts).where(
                OutboxMessage.channel == channel, OutboxMessage.is_root))
        assert [c.body.get("thread_ts") for c in calls[1:3]] == [ts, ts]
        assert calls[3].body["ts"] == ts


def test_pending_edits_of_one_message_become_one(engine: Engine, slack: FakeSlack,
                                                 clock: FakeClock) -> None:
    root = post(engine, clock, "C0AAA", "late 5 min", root_key="alert:a", is_root=True)
    worker = make_worker(slack, engine, clock)
    assert worker.deliver_due() == 1
    edits = [post(engine, clock, "C0AAA", f"late {m} min", method=UPDATE, root_key="alert:a",
                  priority=URGENT if m == 10 else None) for m in (10, 20, 30, 40)]
    clock.advance(1)

    assert worker.deliver_due() == 1  # one edit, in the round right after
    updates = [r.body for r in slack.allowed if r.method == UPDATE]
    assert updates == [{"channel": "C0AAA", "ts": row(engine, root).ts, "text": "late 40 min"}]
    *older, newest = (row(engine, e) for e in edits)
    assert [r.status for r in older] == [SUPERSEDED] * 3
    assert {r.last_error for r in older} == {f"superseded by outbox message {edits[-1]}"}
    assert newest.status == SENT
    assert newest.priority == URGENT  # the urgent edit it replaced kept its place


def test_new_alerts_go_before_a_backlog_of_edits_in_every_channel(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    worker = make_worker(slack, engine, clock)
    for channel in CHANNELS:
        for n in range(10):
            post(engine, clock, channel, f"{channel} alert {n}", root_key=f"{channel}:{n}",
                 is_root=True)
    drain(worker, clock, step=1.0)
    for channel in CHANNELS:  # a re-check edits every alert: 10 routine edits per channel
        for n in range(10):
            post(engine, clock, channel, f"{channel} alert {n} still late", method=UPDATE,
                 root_key=f"{channel}:{n}")
    clock.advance(1)
    assert worker.deliver_due() == len(CHANNELS)  # the edits start going out
    for channel in CHANNELS:
        post(engine, clock, channel, f"{channel} NEW", root_key=f"{channel}:new", is_root=True)
    clock.advance(1)

    assert worker.deliver_due() == len(CHANNELS)
    latest = slack.allowed[-len(CHANNELS):]
    assert sorted(r.body["text"] for r in latest) == sorted(f"{c} NEW" for c in CHANNELS)


def test_a_429_holds_its_channel_for_retry_after_not_the_others(
    engine: Engine, slack: FakeSlack, clock: FakeClock
) -> None:
    slack.limits.last["C0AAA"] = clock.now.timestamp()  # another app just posted there
    for n in range(2):
        for channel in CHANNELS[:2]:
            post(engine, clock, channel, f"{channel} {n}")
    worker = make_worker(slack, engine, clock)

    drain(worker, clock)
    [(refused, retry_after)] = slack.limited
    assert refused.body["channel"] == "C0AAA"
    later = [r.at for r in slack.requests if r.body.get("channel") == "C0AAA"
             and r.at > refused.at]
    assert min(later) >= refused.at + retry_after  # Retry-After honoured
    assert channel_of(slack, "C0AAA") == ["C0AAA 0", "C0AAA 1"]
    assert channel_of(slack, "C0BBB")[0] == "C0BBB 0"
    first_b = next(r.at for r in slack.allowed if r.body["channel"] == "C0BBB")
    assert first_b < refused.at + retry_after  # the other channel did not wait


def test_a_429_on_an_edit_holds_the_edits_but_not_a_new_alert(
    engine: Engine, clock: FakeClock
) -> None:
    with FakeSlack(updates_per_minute=2, clock=lambda: clock.now.timestamp()) as slack:
        worker = make_worker(slack, engine, clock)
        for channel in CHANNELS[:2]:
            for n in range(2):
                post(engine, clock, channel, f"{channel} {n}", root_key=f"{channel}:{n}",
                     is_root=True)
        drain(worker, clock, step=1.0)
        for channel in CHANNELS[:2]:
            for n in range(2):
                post(engine, clock, channel, f"{channel} {n} edited", method=UPDATE,
                     root_key=f"{channel}:{n}")
        clock.advance(1)
        assert worker.deliver_due() == 2  # the workspace's two edits this minute
        clock.advance(1)
        assert worker.deliver_due() == 0  # the next edits (in flight together): 429s
        assert {r.method for r, _ in slack.limited} == {UPDATE}
        retry_after = max(wait for _, wait in slack.limited)  # ~58 s
        limited = len(slack.limited)
        post(engine, clock, CHANNELS[0], "NEW", root_key="new", is_root=True)
        edits_so_far = len(slack.calls(UPDATE))
        clock.advance(1)

        assert worker.deliver_due() == 1
        assert slack.allowed[-1].body["text"] == "NEW"  # the new alert is not held
        clock.advance(retry_after - 2)
        assert worker.deliver_due() == 0
        assert len(slack.calls(UPDATE)) == edits_so_far  # no edit tried during Retry-After
        assert len(slack.limited) == limited
        clock.advance(1)
        drain(worker, clock, step=1.0)
        assert len([r for r in slack.allowed if r.method == UPDATE]) == 4
