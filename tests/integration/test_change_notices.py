"""Change notices reach the change channel once, tag every consumer team, and remind them
7 days and 1 day before the change takes effect: across restarts and replicas, on SQLite and
PostgreSQL, through the real outbox to the fake Slack Web API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.db.models import ChangeNoticePost
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import Clock, blocks_text, write_registry

RECOMMENDER_AND_NOTICE = """\
  - id: mlops_recommender
    name: MLOps Recommender
    slack: {usergroup: {id: S0MLRECO1}, oncall_channel: "#mlops-reco-oncall"}
    members: [{name: Eve, slack: U0EVE0001}]
change_notices:
  - contract: customer_master_db
    announced: 2026-10-01
    change: "monthly_charges is removed; use billing_stripe.amount_cents"
    scope: [monthly_charges]
"""
TEAMS = worlds.TEAMS + RECOMMENDER_AND_NOTICE
CONTRACT = """\
data_source: customer_master_db
owner_team: data_engineering
consumer_teams: [mlops_churn, mlops_recommender]
schema:
  monthly_charges: {type: float, required: true}
change_policy:
  breaking_changes: "30 days notice via #data-changes"
"""
CHANNEL = "#data-changes"


class World:
    def __init__(self, reg: Path, url: str, slack: FakeSlack, clock: Clock) -> None:
        self.reg, self.url, self.slack, self.clock = reg, url, slack, clock
        self.replicas: list[Services] = []

    def replica(self) -> Services:
        services = worlds.start_services(self.reg, self.url, self.slack, self.clock, environ={})
        self.replicas.append(services)
        return services

    def deliver(self, services: Services) -> None:
        worlds.deliver(services, self.clock, rounds=4)

    def posts(self) -> list[dict[str, Any]]:
        return worlds.posts(self.slack)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    reg = write_registry(
        tmp_path / "registry", {"teams.yaml": TEAMS, "customer_master_db.yaml": CONTRACT}
    )
    with FakeSlack() as slack:
        w = World(reg, database_url, slack, Clock(datetime(2026, 10, 1, 9, 0, tzinfo=UTC)))
        yield w
        for services in w.replicas:
            worlds.close_services(services)


def test_announcement_then_reminders_each_once(world: World) -> None:
    bot = world.replica()
    assert bot.changes is not None
    [action] = bot.changes.tick()
    assert (action.kind, action.channel) == ("announce", CHANNEL)
    assert bot.changes.tick() == []  # already recorded
    world.deliver(bot)
    [root] = world.posts()
    assert root["channel"] == CHANNEL
    shown = blocks_text(root)
    assert "<!subteam^S0MLCHURN>" in shown
    assert "<!subteam^S0MLRECO1>" in shown
    assert "Sat 2026-10-31" in shown  # announced + 30 days' notice
    assert "use billing_stripe.amount_cents" in shown
    assert root["text"].startswith("Breaking change to customer_master_db, effective 2026-10-31")

    world.clock.now = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)  # 8 days before: nothing
    assert bot.changes.tick() == []
    world.clock.now = datetime(2026, 10, 24, 9, 0, tzinfo=UTC)  # 7 days before
    [action] = bot.changes.tick()
    assert action.kind == "remind-7"
    world.deliver(bot)
    reminder = world.posts()[-1]
    assert reminder["thread_ts"]  # in the announcement's thread …
    assert reminder["reply_broadcast"] in (True, "true", "1", "True")  # … and in the channel
    assert "takes effect in 7 days, on Sat 2026-10-31" in reminder["text"]
    assert "<!subteam^S0MLCHURN>" in reminder["text"]

    restarted = world.replica()  # a restart (or another replica) says nothing twice
    assert restarted.changes is not None
    assert restarted.changes.tick() == []
    world.clock.now = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
    [action] = restarted.changes.tick()
    assert action.kind == "remind-1"
    assert bot.changes.tick() == []
    world.deliver(restarted)
    assert "takes effect tomorrow" in world.posts()[-1]["text"]
    world.clock.now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert bot.changes.tick() == []
    assert len(world.posts()) == 3


def test_first_seen_late_announces_once_without_stale_reminders(world: World) -> None:
    world.clock.now = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)  # the bot was down until now
    bot = world.replica()
    assert bot.changes is not None
    [action] = bot.changes.tick()
    assert action.kind == "announce"
    world.deliver(bot)
    [root] = world.posts()
    assert "(tomorrow)" in blocks_text(root)
    with Session(bot.engine) as session:
        rows = {r.kind: r.posted for r in session.scalars(select(ChangeNoticePost))}
    assert rows == {"announce": True, "remind-7": False, "remind-1": False}
    assert bot.changes.tick() == []


def test_two_replicas_racing_post_once(world: World) -> None:
    first, second = world.replica(), world.replica()
    assert first.changes is not None
    assert second.changes is not None
    actions = first.changes.tick() + second.changes.tick()
    assert len(actions) == 1
    world.deliver(first)
    assert len(world.posts()) == 1


def test_a_replica_that_missed_the_other_ones_row_loses_the_insert(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = world.replica(), world.replica()
    assert first.changes is not None
    assert second.changes is not None
    assert len(first.changes.tick()) == 1
    from sqlalchemy import false

    import bot.changes.notices as changes_module

    real_select = changes_module.select
    monkeypatch.setattr(  # the second replica read before the first committed
        changes_module, "select", lambda *cols: real_select(*cols).where(false())
    )
    assert second.changes.tick() == []  # the unique (notice, kind) key refused its insert
    world.deliver(first)
    assert len(world.posts()) == 1
