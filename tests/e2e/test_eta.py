"""An ETA given on ack moves every downstream expectation and shows in /whoowns (issue 13).

The example registry: `customer_master_db` (daily 02:00 + 30 min, Data Engineering) feeds
`churn_features` (daily 04:00 + 45 min, MLOps Churn) through features without contracts. Four
days of history teach the lag (1 h 50 min: twice the upstream came after churn_features' usual
02:10 and it followed 1 h 50 later); today the upstream is late, the downstream's owner
is warned before 04:45, then a signed `/ack customer_master_db 05:30` moves that warning to
07:20, `/whoowns churn_features` shows it, and a missed ETA re-pages whoever gave it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table

from bot.blocks import ids
from tests.e2e.conftest import Alerting
from tests.fakes.fake_slack import wait_for
from tests.fakes.signing import USER_ID, command_body

DAY = datetime(2026, 11, 25, tzinfo=UTC)
LAG = timedelta(hours=1, minutes=50)
UP, DOWN = "customer_master_db", "churn_features"
FORM = "application/x-www-form-urlencoded"


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


class Scene:
    def __init__(self, alerting: Alerting) -> None:
        self.a = alerting
        self.slack = alerting.bot.slack
        meta = MetaData()
        self.tables = {
            UP: Table("customers", meta, Column("id", Integer, primary_key=True),
                      Column("updated_at", DateTime(timezone=True))),
            DOWN: Table("churn_features", meta, Column("id", Integer, primary_key=True),
                        Column("computed_at", DateTime(timezone=True))),
        }  # fmt: skip
        meta.create_all(alerting.services.engine)

    def load(self, name: str, when: datetime) -> None:
        column = "updated_at" if name == UP else "computed_at"
        with self.a.services.engine.begin() as conn:
            conn.execute(self.tables[name].insert().values({column: when}))

    def check(self, when: datetime) -> None:
        self.a.clock.now = when
        self.a.services.freshness.check([UP, DOWN])
        self.a.deliver()

    def posts(self, channel: str) -> list[dict[str, Any]]:
        wanted = {channel, self.slack.channel_id(channel)}
        return [r.body for r in self.slack.calls("chat.postMessage")
                if r.body.get("channel") in wanted]  # fmt: skip

    def command(self, command: str, text: str, response_id: str) -> dict[str, Any]:
        body = command_body(text, response_url=self.slack.response_url(response_id),
                            command=command)  # fmt: skip
        response = self.a.bot.sender.post(body, FORM)
        assert response.status_code == 200
        if response.text:
            return dict(response.json())
        wait_for(lambda: self.slack.responses(response_id), message=f"a reply to {response_id}")
        [answer] = self.slack.responses(response_id)
        return dict(answer.body)


@pytest.fixture
def scene(alerting: Alerting) -> Scene:
    scene = Scene(alerting)
    scene.load(UP, at(0, 20, -5))
    scene.load(DOWN, at(2, 10, -5))
    for day, up in ((-4, at(0, 20)), (-3, at(0, 20)), (-2, at(2, 20)), (-1, at(2, 20))):
        # churn_features lands 1 h 50 after its upstream: usually 02:10; twice it waited
        scene.load(UP, up + timedelta(days=day))
        scene.check(up + timedelta(days=day, minutes=5))
        down = up + LAG + timedelta(days=day)
        scene.load(DOWN, down)
        scene.check(down + timedelta(minutes=5))
    scene.check(at(2, 31))  # late; 02:31 + 1 h 50 min is before 04:45
    assert scene.posts("#mlops-churn-oncall") == []
    scene.check(at(2, 56))  # 04:46 is past 04:45: one early warning
    return scene


def test_a_late_upstream_warns_the_downstream_owner_once_before_its_deadline(
    scene: Scene,
) -> None:
    scene.check(at(3, 6))
    (warning,) = scene.posts("#mlops-churn-oncall")
    assert "`churn_features` will likely miss 04:45 UTC" in warning["text"]
    assert "usually lands 1 h 50 min after it" in warning["text"]
    assert "<@U0DANAKOW>" in warning["text"] or "<@U0EMEKA01>" in warning["text"]


def test_an_eta_on_ack_moves_the_downstream_warning_and_shows_in_whoowns(scene: Scene) -> None:
    answer = scene.command(ids.ACK_COMMAND, f"{UP} 05:30", "ack-1")
    assert answer["text"] == f"ETA for `{UP}`: 05:30 UTC."
    assert answer["response_type"] == "ephemeral"
    scene.a.deliver()
    thread = [p["text"] for p in scene.posts("#data-eng-oncall") if "thread_ts" in p]
    assert any(f"<@{USER_ID}> expects `{UP}` at 05:30 UTC" in t for t in thread)
    edits = [r.body["text"] for r in scene.slack.calls("chat.update")]
    assert any("has an ETA of 05:30 UTC" in e and "expect it about 07:20 UTC" in e for e in edits)
    (whoowns,) = [scene.command(ids.WHOOWNS_COMMAND, DOWN, "who-1")]
    assert (
        f"`{DOWN}` expected about 07:20 UTC (`{UP}`'s ETA + its usual 1 h 50 min)"
        in whoowns["text"]
    )
    up = scene.command(ids.WHOOWNS_COMMAND, UP, "who-2")
    assert f"`{UP}` expected about 05:30 UTC (ETA from <@{USER_ID}>)" in up["text"]


def test_a_missed_eta_re_pages_whoever_gave_it_once(scene: Scene) -> None:
    scene.command(ids.ACK_COMMAND, f"{UP} in 30 min", "ack-2")  # 03:26
    scene.check(at(3, 30))
    scene.check(at(3, 40))
    pages = [p["text"] for p in scene.posts("#data-eng-oncall")
             if "thread_ts" in p and "has passed" in p["text"]]  # fmt: skip
    assert len(pages) == 1
    assert pages[0].startswith(f":rotating_light: <@{USER_ID}>: the ETA 03:26 UTC")


def test_a_bad_eta_is_answered_in_the_ack(scene: Scene) -> None:
    answer = scene.command(ids.ACK_COMMAND, f"{UP} soonish", "ack-3")
    assert "is not an ETA" in answer["text"]
