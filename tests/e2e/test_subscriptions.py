"""Subscribe end to end: the button and /demarc, then DMs on breach, recovery, incident changes
and a breaking-change announcement, through the outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks import ids
from tests.e2e.conftest import NOW
from tests.e2e.incident_scene import ASKER, STRANGER, Scene
from tests.e2e.surfaces_scene import data_at, demarc, dms, homes, scene, text_of
from tests.fakes.fake_slack import wait_for

__all__ = ["scene"]  # the fixture


def test_subscribe_then_hear_of_breach_recovery_and_incident(scene: Scene) -> None:
    answer = demarc(scene, "subscribe customer_master_db")
    assert answer.startswith("Subscribed to `customer_master_db`")
    assert "already" in demarc(scene, "subscribe customer_master_db")
    wait_for(lambda: homes(scene, ASKER), message="the Home tab refreshed")
    assert "customer_master_db" in text_of(homes(scene, ASKER)[-1])

    data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))  # late
    scene.deliver()
    [late] = dms(scene, ASKER)
    assert "`customer_master_db` is" in text_of(late["blocks"])
    assert "late" in late["text"]
    assert dms(scene, STRANGER) == []  # not subscribed: told nothing

    scene.command("customer_master_db \"crm export broken\"")
    scene.wait_event("opened")
    scene.deliver()
    assert "Incident #1 (SEV2) opened on `customer_master_db`" in text_of(dms(scene, ASKER)[-1])

    scene.clock.advance(minutes=5)
    data_at(scene, "customer_master_db", scene.clock())  # arrived
    scene.deliver()
    assert "recovered" in dms(scene, ASKER)[-1]["text"]
    assert len(dms(scene, ASKER)) == 3


def test_the_button_under_an_answer_subscribes_and_unsubscribe_stops_the_dms(
    scene: Scene,
) -> None:
    rid = scene.press(ids.SUBSCRIBE_ACTION, "customer_master_db", user=ASKER)
    assert scene.answer(rid)["text"].startswith("Subscribed to `customer_master_db`")
    assert "Unsubscribed" in demarc(scene, "unsubscribe customer_master_db")
    data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))
    scene.deliver()
    assert dms(scene, ASKER) == []


def test_unknown_asset_is_refused_with_suggestions(scene: Scene) -> None:
    answer = demarc(scene, "subscribe customer_mastr_db")
    assert answer.startswith("No asset called `customer_mastr_db`.")
    assert "customer_master_db" in answer
    assert "Usage" in demarc(scene, "subscribe")
