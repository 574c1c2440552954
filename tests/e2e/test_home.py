"""The Home tab end to end: published on app_home_opened, acted on from its buttons, searched
from its box, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.blocks import ids
from tests.e2e.conftest import NOW
from tests.e2e.incident_scene import Scene
from tests.e2e.surfaces_scene import data_at, demarc, home_action, open_home, scene, text_of

__all__ = ["scene"]  # the fixture
ALICE = "U0ALICE01"  # Data Engineering, in its rotation


def buttons(view: dict) -> dict[str, str]:
    """action_id -> value of every button in the view."""
    found = {}
    for block in view["blocks"]:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("type") == "button":
                found[element["action_id"]] = element["value"]
    return found


def test_home_shows_what_the_teams_hold_shifts_and_late_contracts(scene: Scene) -> None:
    view = open_home(scene, ALICE)
    shown = text_of(view)
    assert view["type"] == "home"
    assert "Data Engineering" in shown
    assert "*R/A* `customer_master_db`" in shown
    assert "Your on-call shifts" in shown
    assert "Late contracts" not in shown

    data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))
    view = open_home(scene, ALICE)
    assert "Late contracts of your teams" in text_of(view)
    alert_id = buttons(view)[ids.HOME_OPEN_INCIDENT_ACTION]

    view = home_action(scene, ALICE, ids.HOME_OPEN_INCIDENT_ACTION, alert_id)
    assert "Opened incident #1" in text_of(view["blocks"][0])
    assert buttons(view)[ids.HOME_ACKNOWLEDGE_ACTION] == "1"

    view = home_action(scene, ALICE, ids.HOME_ACKNOWLEDGE_ACTION, "1")
    assert "Acknowledged incident #1" in text_of(view["blocks"][0])
    assert ids.HOME_ACKNOWLEDGE_ACTION not in buttons(view)
    assert scene.events("acknowledged") == 1


def test_search_box_answers_and_subscriptions_are_removable(scene: Scene) -> None:
    view = home_action(scene, ALICE, ids.HOME_SEARCH_ACTION, "customer_age", typed=True)
    assert "customer_age (feature)" in text_of(view)
    assert buttons(view)[ids.SUBSCRIBE_ACTION] == "customer_age"

    view = home_action(scene, ALICE, ids.SUBSCRIBE_ACTION, "customer_age")
    assert "Subscribed to `customer_age`" in text_of(view["blocks"][0])
    assert buttons(view)[ids.UNSUBSCRIBE_ACTION] == "customer_age"  # listed, removable

    view = home_action(scene, ALICE, ids.UNSUBSCRIBE_ACTION, "customer_age")
    assert "Unsubscribed from `customer_age`" in text_of(view["blocks"][0])
    assert "Nothing yet" in text_of(view)
    assert "You did not follow" in demarc(scene, "unsubscribe customer_age", user=ALICE)


def test_a_stranger_gets_a_home_that_says_so(scene: Scene) -> None:
    shown = text_of(open_home(scene, "U0NOBODY01"))
    assert "You are in no team of the registry" in shown
