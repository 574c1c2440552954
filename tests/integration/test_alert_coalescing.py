"""Many downstream contracts late because of one upstream: "also affected" comes in batches.

One root for the upstream; its downstream contracts are announced with one edit of the root
and one thread reply per batch (a sweep: one batch; single checks: each listed at once, the
edit and the reply still queued replaced by ones naming it too), never one edit and one reply
per contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.alerts import MAX_AFFECTED
from bot.bootstrap import Services
from bot.db.models import Alert, OutboxMessage
from bot.freshness.judge import Timing
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import TEAMS_ON_CALL, Clock, blocks_text, running, write_registry

DOWNSTREAM = [f"feature_{i:02d}" for i in range(25)]
NOW = datetime(2026, 11, 25, 4, 31, tzinfo=UTC)  # past both deadlines below
YESTERDAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def contract(name: str, owner: str, at: str) -> str:
    return (
        f"data_source: {name}\n"
        f"owner_team: {owner}\n"
        f'sla: {{update_frequency: daily, update_time: "{at} UTC", max_delay: "30 minutes"}}\n'
        f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {name}, "
        "timestamp_column: updated_at}}\n"
    )


class World(worlds.World):
    def __init__(self, services: Services, slack: FakeSlack, clock: Clock) -> None:
        super().__init__(services, slack, clock)
        tables = worlds.create_load_tables(services.engine, ["raw_events", *DOWNSTREAM])
        with services.engine.begin() as conn:
            for table in tables.values():
                conn.execute(table.insert().values(updated_at=YESTERDAY))

    def slack_text(self) -> str:
        bodies = [*self.posts(), *self.updates()]
        return "\n".join(blocks_text(b) + str(b.get("text", "")) for b in bodies)

    def queued(self, method: str) -> int:
        with Session(self.services.engine) as s:
            return len(s.scalars(select(OutboxMessage.id).where(OutboxMessage.method == method))
                       .all())


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    assets = "assets:\n  - {id: raw_events, kind: source, owner: data_engineering}\n" + "".join(
        f"  - {{id: {d}, kind: feature, owner: mlops_churn, upstream: [raw_events]}}\n"
        for d in DOWNSTREAM
    )
    files = {"teams.yaml": TEAMS_ON_CALL + assets,
             "raw_events.yaml": contract("raw_events", "data_engineering", "02:00")}
    files.update({f"{d}.yaml": contract(d, "mlops_churn", "04:00") for d in DOWNSTREAM})
    registry = write_registry(tmp_path / "registry", files)
    clock = Clock(NOW)
    with (
        FakeSlack() as slack,
        running(registry, database_url, slack, clock,
                timing=Timing(recheck=timedelta(minutes=10)), probe_timeout=20) as services,
    ):
        yield World(services, slack, clock)


def test_one_sweep_announces_every_downstream_contract_in_one_edit_and_one_reply(
    world: World,
) -> None:
    world.services.freshness.check()
    world.deliver(6)
    [root] = world.roots()
    replies = [b for b in world.posts() if "thread_ts" in b]
    assert len(world.updates()) == 1
    assert len(replies) == 1
    assert "25 more contracts are late" in replies[0]["text"]
    text = world.slack_text()
    assert all(f"`{d}`" in text for d in DOWNSTREAM)
    edit = blocks_text(world.updates()[0])
    assert f"and {len(DOWNSTREAM) - MAX_AFFECTED} more, listed in the thread" in edit
    assert world.posts("#mlops-churn-oncall") == []
    assert root["channel"] == "#data-eng-oncall"


def test_single_checks_list_each_downstream_at_once_replacing_what_is_still_queued(
    world: World,
) -> None:
    freshness = world.services.freshness
    freshness.check(["raw_events"])
    for name in DOWNSTREAM:  # one scheduler job per contract, nothing delivered meanwhile
        world.clock.advance(seconds=0.1)
        assert freshness.check_claimed(name, "replica-1") is not None
    # every check listed its contract at once, in the one edit and one reply still queued
    assert world.queued("chat.update") == 1
    assert world.queued("chat.postMessage") == 2  # the root and one "also affected" reply
    world.deliver(4)
    [edit] = world.updates()
    assert f"Also affected ({len(DOWNSTREAM)})" in blocks_text(edit)
    [reply] = [b for b in world.posts() if "thread_ts" in b]
    assert f"{len(DOWNSTREAM)} more contracts are late" in reply["text"]
    assert all(f"`{d}`" in reply["text"] for d in DOWNSTREAM)
    world.clock.advance(minutes=10)
    freshness.check(["raw_events"])  # the upstream's re-check has nothing left to say
    world.deliver(6)
    assert len(world.updates()) == 1
    assert len([b for b in world.posts() if "thread_ts" in b]) == 1
    with Session(world.services.engine) as s:
        [cause] = s.scalars(select(Alert).where(Alert.contract_id == "raw_events")).all()
        assert cause.affected.split(",") == DOWNSTREAM


def test_a_contract_attached_after_the_reply_went_out_gets_a_reply_of_its_own(
    world: World,
) -> None:
    freshness = world.services.freshness
    freshness.check(["raw_events"])
    freshness.check_claimed(DOWNSTREAM[0], "replica-1")
    world.deliver(4)
    freshness.check_claimed(DOWNSTREAM[1], "replica-1")
    world.deliver(4)
    replies = [b["text"] for b in world.posts() if "thread_ts" in b]
    assert replies == [
        f"Also affected: `{DOWNSTREAM[0]}` is late too, most likely because of this.",
        f"Also affected: `{DOWNSTREAM[1]}` is late too, most likely because of this.",
    ]
    assert f"`{DOWNSTREAM[1]}`" in blocks_text(world.updates()[-1])
