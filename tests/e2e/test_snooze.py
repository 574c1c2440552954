"""Snoozing a late-data alert from its Slack message, end to end.

A late warehouse table opens an alert; the outbox delivers its root to the fake Slack; a signed
`block_actions` request for the snooze select reaches Bolt's HTTP endpoint; the answer goes to
the response URL, the silence is stored, and the thread and the root say so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, func, select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import Alert, OutboxMessage, SilenceRow, SlackRoot
from ownership.sla import FreshnessState
from tests.e2e.conftest import Alerting
from tests.fakes.fake_slack import RecordedRequest, wait_for
from tests.fakes.signing import TEAM_ID, USER_ID

CONTRACT = "customer_master_db"
CHANNEL = "#data-eng-oncall"
T = datetime(2026, 11, 25, 2, 31, tzinfo=UTC)  # a minute past the 02:30 deadline
YESTERDAY = datetime(2026, 11, 24, 1, 50, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"


def snooze_body(value: str, *, response_url: str, message_ts: str, channel: str) -> str:
    """A `block_actions` payload as Slack sends it when someone picks a snooze option."""
    payload = {
        "type": "block_actions",
        "user": {"id": USER_ID, "username": "asker", "name": "asker", "team_id": TEAM_ID},
        "api_app_id": "A0DEMARC01",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "1111.2222.trigger",
        "team": {"id": TEAM_ID, "domain": "test"},
        "channel": {"id": channel, "name": "data-eng-oncall"},
        "message": {"type": "message", "ts": message_ts, "text": "customer_master_db is late"},
        "response_url": response_url,
        "actions": [
            {
                "type": "static_select",
                "action_id": ids.SNOOZE_ALERT_ACTION,
                "block_id": "alert:1",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "4 hours"},
                    "value": value,
                },
                "placeholder": {"type": "plain_text", "text": "Snooze"},
                "action_ts": "1767225700.000001",
            }
        ],
    }
    return "payload=" + quote(json.dumps(payload))


class Scene:
    """The alerting app plus the `customers` table the contract's probe reads."""

    def __init__(self, alerting: Alerting) -> None:
        self.a = alerting
        self.slack = alerting.bot.slack
        self.customers = Table(
            "customers",
            MetaData(),
            Column("id", Integer, primary_key=True),
            Column("updated_at", DateTime(timezone=True)),
        )
        self.customers.create(alerting.services.engine)

    def load(self, at: datetime) -> None:
        with self.a.services.engine.begin() as conn:
            conn.execute(self.customers.insert().values(updated_at=at))

    def check(self) -> FreshnessState:
        [report] = self.a.services.freshness.check([CONTRACT])
        self.a.deliver()
        return report.evaluation.state

    def alert(self) -> Alert:
        with Session(self.a.services.engine) as s:
            [alert] = s.scalars(select(Alert).where(Alert.contract_id == CONTRACT)).all()
            return alert

    def root(self, alert: Alert) -> tuple[str, str]:
        """Where the alert's root landed in Slack: (channel id, ts), as the outbox recorded."""
        with Session(self.a.services.engine) as s:
            root = s.get(SlackRoot, f"alert:{alert.id}")
            assert root is not None, "the root was not delivered"
            return root.channel, root.ts

    def snooze(self, value: str, response_id: str, *, signed: bool = True) -> Any:
        channel, ts = self.root(self.alert())
        body = snooze_body(
            value,
            response_url=self.slack.response_url(response_id),
            message_ts=ts,
            channel=channel,
        )
        return self.a.bot.sender.post(body, FORM, signed=signed)

    def answer(self, response_id: str) -> dict[str, Any]:
        """The one ephemeral message sent to the response URL."""
        wait_for(lambda: self.slack.responses(response_id), message=f"a reply to {response_id}")
        [response] = self.slack.responses(response_id)
        return response.body

    def sent(self) -> list[RecordedRequest]:
        """What reached the fake Slack, less Bolt's one-off auth.test on the first request."""
        return [r for r in self.slack.requests if r.method != "auth.test"]

    def silences(self) -> list[SilenceRow]:
        with Session(self.a.services.engine) as s:
            return list(s.scalars(select(SilenceRow)))

    def outbox_size(self) -> int:
        with Session(self.a.services.engine) as s:
            return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)

    def thread(self, ts: str) -> list[RecordedRequest]:
        return [r for r in self.slack.calls("chat.postMessage") if r.body.get("thread_ts") == ts]


@pytest.fixture
def scene(alerting: Alerting) -> Scene:
    alerting.clock.now = T
    scene = Scene(alerting)
    scene.load(YESTERDAY)
    assert scene.check() is FreshnessState.LATE
    [root] = scene.slack.calls("chat.postMessage")  # the alert's root reached Slack
    assert root.body["channel"] == CHANNEL
    assert root.body["text"].startswith(f"{CONTRACT} is late")
    assert "thread_ts" not in root.body
    return scene


def snooze_values(root: RecordedRequest) -> dict[str, str]:
    """The snooze select's options on the root message, label -> value."""
    [actions] = [b for b in root.body["blocks"] if b["type"] == "actions"]
    [select_] = [e for e in actions["elements"] if e["action_id"] == ids.SNOOZE_ALERT_ACTION]
    return {o["text"]["text"]: o["value"] for o in select_["options"]}


def test_snooze_from_the_alert_silences_it_and_says_so(scene: Scene) -> None:
    alert = scene.alert()
    channel, root_ts = scene.root(alert)
    [root] = scene.slack.calls("chat.postMessage")
    value = snooze_values(root)["4 hours"]
    assert value == f"{alert.id}:240"
    asked_at = scene.a.clock()
    until = asked_at + timedelta(hours=4)
    assert until.strftime("%H:%M") == "06:31"

    response = scene.snooze(value, "snooze-1")
    assert response.status_code == 200
    assert response.text == ""  # acknowledged at once; the answer goes to the response URL
    answer = scene.answer("snooze-1")
    assert answer["text"] == f"Snoozed `{CONTRACT}` until 06:31 UTC."
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False

    [silence] = scene.silences()
    assert silence.asset == CONTRACT
    assert silence.created_by == USER_ID
    assert silence.reason == "snoozed from Slack"
    assert silence.ends_at.replace(tzinfo=UTC) == until

    before = len(scene.sent())
    scene.a.deliver()
    assert len(scene.sent()) == before + 2  # one thread reply, one edit of the root
    [note] = scene.thread(root_ts)
    assert note.body["channel"] == channel
    assert note.body["text"].startswith(f":zzz: Snoozed by <@{USER_ID}> for 4 h (until 06:31 UTC).")
    assert f"no new alerts for `{CONTRACT}` until then" in note.body["text"]
    [edit] = scene.slack.calls("chat.update")
    assert (edit.body["channel"], edit.body["ts"]) == (channel, root_ts)
    assert "Snoozed until 06:31 UTC" in json.dumps(edit.body["blocks"])

    # Still late ten minutes on: the root is edited in place and still shows the snooze.
    scene.a.clock.advance(minutes=10)
    assert scene.check() is FreshnessState.LATE
    roots = [r for r in scene.slack.calls("chat.postMessage") if "thread_ts" not in r.body]
    assert len(roots) == 1
    last = scene.slack.calls("chat.update")[-1]
    assert last.body["ts"] == root_ts
    assert "Snoozed until 06:31 UTC" in json.dumps(last.body["blocks"])


def test_snoozing_a_recovered_alert_changes_nothing(scene: Scene) -> None:
    alert = scene.alert()
    scene.load(datetime(2026, 11, 25, 2, 40, tzinfo=UTC))
    scene.a.clock.now = datetime(2026, 11, 25, 2, 45, tzinfo=UTC)
    assert scene.check() is FreshnessState.RECOVERED
    requests, queued = len(scene.sent()), scene.outbox_size()

    response = scene.snooze(f"{alert.id}:240", "snooze-late")
    assert response.status_code == 200
    assert scene.answer("snooze-late")["text"] == (
        f"`{CONTRACT}` already recovered; nothing to snooze."
    )
    assert scene.silences() == []
    assert scene.outbox_size() == queued
    assert len(scene.sent()) == requests + 1  # only the answer


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "1:",
        ":240",
        "1:-5",
        "1:240:9",
        " 1:240",
        "1:\u00b2",  # "²": str.isdigit() says yes, int() says no
        "1:" + "9" * 30,  # too big for a timedelta
        "9" * 30 + ":240",  # too big for the alerts.id column
    ],
)
def test_a_tampered_snooze_value_is_refused(scene: Scene, value: str) -> None:
    queued = scene.outbox_size()
    response = scene.snooze(value, "snooze-bad")
    assert response.status_code == 200
    assert scene.answer("snooze-bad")["text"] == "That snooze choice is not valid."
    assert scene.silences() == []
    assert scene.outbox_size() == queued


def test_snoozing_an_alert_that_does_not_exist(scene: Scene) -> None:
    response = scene.snooze("999999999:240", "snooze-gone")
    assert response.status_code == 200
    assert scene.answer("snooze-gone")["text"].startswith("That alert no longer exists")
    assert scene.silences() == []


def test_a_snooze_longer_than_a_week_is_refused(scene: Scene) -> None:
    alert = scene.alert()
    response = scene.snooze(f"{alert.id}:{7 * 24 * 60 + 1}", "snooze-long")
    assert response.status_code == 200
    assert scene.answer("snooze-long")["text"] == "Pick a snooze between 1 minute and 7 days."
    assert scene.silences() == []


def test_an_unsigned_snooze_is_rejected_and_changes_nothing(scene: Scene) -> None:
    alert = scene.alert()
    requests, queued = len(scene.sent()), scene.outbox_size()
    response = scene.snooze(f"{alert.id}:240", "snooze-unsigned", signed=False)
    assert response.status_code == 401
    # A signed request afterwards is answered; by then the unsigned one would have been too.
    scene.snooze("abc", "snooze-after")
    scene.answer("snooze-after")
    assert scene.slack.responses("snooze-unsigned") == []
    assert scene.silences() == []
    assert scene.outbox_size() == queued
    assert len(scene.sent()) == requests + 1  # only the signed request's answer
