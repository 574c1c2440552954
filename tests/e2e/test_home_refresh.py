"""Home tabs re-published through the outbox after changes that concern their person: a late
contract of their teams, an incident, their shift starting; coalesced per person; only for
people who opened the tab. On SQLite and PostgreSQL, through the fake Slack."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import OutboxMessage
from bot.outbox.enqueue import PUBLISH_VIEW
from tests.e2e.conftest import NOW
from tests.e2e.incident_scene import Scene
from tests.e2e.surfaces_scene import data_at, homes, open_home, scene, text_of

__all__ = ["scene"]  # the fixture
ALICE = "U0ALICE01"  # Data Engineering: on call this week
BOGDAN = "U0BOGDAN1"  # Data Engineering: on call next week
CHEN = "U0CHENWEI"  # Data Engineering
DANA = "U0DANAKOW"  # MLOps Churn


def refresh_rows(scene: Scene, user: str) -> list[OutboxMessage]:
    with Session(scene.services.engine) as session:
        return list(
            session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.method == PUBLISH_VIEW, OutboxMessage.channel == user
                )
            )
        )


def test_a_late_contract_refreshes_the_tabs_of_its_teams_people_who_opened_theirs(
    scene: Scene,
) -> None:
    open_home(scene, ALICE)
    assert "Late contracts" not in text_of(homes(scene, ALICE)[-1])
    before_bogdan = len(homes(scene, BOGDAN))  # never opened: nothing is published for him

    data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))
    scene.deliver()

    assert len(homes(scene, ALICE)) == 2
    assert "Late contracts of your teams" in text_of(homes(scene, ALICE)[-1])
    assert len(homes(scene, BOGDAN)) == before_bogdan == 0

    data_at(scene, "customer_master_db", NOW)  # it recovers
    scene.deliver(rounds=70)  # a minute on: the interval since the last refresh has passed
    assert len(homes(scene, ALICE)) == 3
    assert "Late contracts" not in text_of(homes(scene, ALICE)[-1])


def test_a_storm_republishes_each_person_at_most_once_a_minute(scene: Scene) -> None:
    open_home(scene, ALICE)
    data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))
    scene.deliver(rounds=2)
    assert len(homes(scene, ALICE)) == 2

    for _ in range(5):  # flapping: recovered, late, recovered, late … within seconds
        data_at(scene, "customer_master_db", NOW)
        data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))
    scene.deliver(rounds=10)  # ten seconds: still within the minute
    assert len(homes(scene, ALICE)) == 2
    assert [r.status for r in refresh_rows(scene, ALICE)].count("pending") == 1

    scene.deliver(rounds=60)
    assert len(homes(scene, ALICE)) == 3  # the storm, once


def test_an_incident_change_refreshes_the_tab(scene: Scene) -> None:
    open_home(scene, ALICE)
    incidents = scene.services.incidents
    assert incidents is not None
    reply = incidents.open("customer_master_db", "nulls in the email column", actor=DANA)
    assert reply.ok, reply.text
    scene.deliver()
    assert len(homes(scene, ALICE)) == 2
    assert "nulls in the email column" in text_of(homes(scene, ALICE)[-1])


def test_a_handoff_refreshes_the_tabs_of_who_hands_off_and_who_takes_over(scene: Scene) -> None:
    for user in (ALICE, BOGDAN, CHEN):
        open_home(scene, user)
    sync = scene.services.oncall
    sync.tick()  # first sight: nothing handed off
    scene.deliver(rounds=2)
    assert [len(homes(scene, u)) for u in (ALICE, BOGDAN, CHEN)] == [1, 1, 1]

    scene.clock.advance(days=5, hours=21)  # Monday 09:30 Berlin: Bogdan's week
    sync.tick()
    scene.deliver(rounds=2)
    assert [len(homes(scene, u)) for u in (ALICE, BOGDAN, CHEN)] == [2, 2, 1]
