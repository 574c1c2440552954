"""A worker that dies between calling Slack and recording it: the message is not sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.db.models import OutboxMessage, SlackRoot
from bot.outbox import OutboxWorker, enqueue, store
from bot.outbox.reconcile import metadata
from tests.fakes.fake_slack import FakeSlack
from tests.integration.db_time import age_send_claims

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def enqueue_root(engine: Engine, clock: Clock) -> int:
    with Session(engine) as session, session.begin():
        row = enqueue(session, method="chat.postMessage", channel="#data-eng-oncall",
                      payload={"text": "customer_master_db is late"}, now=clock.now,
                      root_key="alert:1", is_root=True)
        session.flush()
        return row.id


def test_message_slack_already_has_is_recorded_not_resent(engine: Engine) -> None:
    clock = Clock()
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
        worker = OutboxWorker(engine, client, clock=clock, lease=timedelta(seconds=30))
        message_id = enqueue_root(engine, clock)
        assert store.claim(engine, message_id, clock.now, "dead-worker")  # its claim ...
        posted = client.chat_postMessage(channel="#data-eng-oncall", text="customer_master_db "
                                         "is late", metadata=metadata(message_id))  # ... and call
        age_send_claims(engine, timedelta(seconds=31))  # its claim expires
        assert worker.deliver_due() == 1
        assert len(slack.calls("chat.postMessage")) == 1  # not sent again
        with Session(engine) as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None
            assert (row.status, row.ts) == ("sent", posted["ts"])
            root = session.get(SlackRoot, "alert:1")
            assert root is not None
            assert (root.channel, root.ts) == (posted["channel"], posted["ts"])


def test_message_slack_never_got_is_sent_once(engine: Engine) -> None:
    clock = Clock()
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
        worker = OutboxWorker(engine, client, clock=clock, lease=timedelta(seconds=30))
        message_id = enqueue_root(engine, clock)
        assert store.claim(engine, message_id, clock.now, "dead-worker")  # died before calling
        age_send_claims(engine, timedelta(seconds=31))
        assert worker.deliver_due() == 1
        clock.now += timedelta(seconds=60)
        assert worker.deliver_due() == 0
        posts = slack.calls("chat.postMessage")
        assert len(posts) == 1
        assert posts[0].body["metadata"] == metadata(message_id)
        # Nothing was ever posted there, so the channel is unknown and nothing to look up.
        assert [c.method for c in slack.requests] == ["conversations.list", "chat.postMessage"]


def test_every_post_carries_its_outbox_id(engine: Engine) -> None:
    clock = Clock()
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
        worker = OutboxWorker(engine, client, clock=clock)
        message_id = enqueue_root(engine, clock)
        worker.deliver_due()
        [post] = slack.calls("chat.postMessage")
        assert post.body["metadata"]["event_payload"] == {"outbox_id": message_id}
        with Session(engine) as session, session.begin():
            session.execute(update(OutboxMessage).values(status="sent"))
            assert session.scalars(select(OutboxMessage.status)).all() == ["sent"]
