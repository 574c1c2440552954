"""`/oncall [team]` and `/oncall take`: who is on call now and next, until when in the team's
timezone, with overrides from the registry and from Slack (recorded; shown by /whoowns too).

Signed requests through the real app, on SQLite and PostgreSQL. NOW is Tuesday 2026-03-10
12:00 UTC: in data_engineering's weekly rotation (Monday 09:00 Europe/Berlin) Alice's week.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import OncallOverride
from tests.e2e.incident_scene import Scene
from tests.e2e.oncall_scene import ALICE, BOGDAN, PINGS, buttons, press, scene, shown, slash

__all__ = ["scene"]
STRANGER = "U0STRANGE1"


def test_oncall_for_a_team_says_who_until_when_and_who_is_next(scene: Scene) -> None:
    answer = slash(scene, ids.ONCALL_COMMAND, "data_engineering")
    text = shown(answer)
    assert "Now on call: Alice Moreau, until Mon 09:00 Europe/Berlin" in text
    assert "Next: Bogdan Ilic, from Mon 09:00 Europe/Berlin, until Mon 23 Mar 09:00" in text
    assert "On-call channel: #data-eng-oncall" in text
    assert not any(p in text for p in PINGS)  # asking who is on call pages nobody
    assert buttons(answer, ids.TAKE_SHIFT_ACTION)


def test_oncall_without_a_team_shows_the_askers_teams(scene: Scene) -> None:
    text = shown(slash(scene, ids.ONCALL_COMMAND, "", user=ALICE))
    assert "*Data Engineering*" in text
    assert "MLOps Churn" not in text
    everyone = shown(slash(scene, ids.ONCALL_COMMAND, "", user=STRANGER))
    assert "*MLOps Churn*" in everyone  # not in any team: every team with a rotation
    assert "Product Analytics" not in everyone  # no rotation


def test_unknown_team_and_usage(scene: Scene) -> None:
    text = slash(scene, ids.ONCALL_COMMAND, "<!channel> nope")["text"]
    assert "No team called `&lt;!channel&gt; nope`" in text
    assert "`data_engineering`" in text
    assert "/oncall take" in slash(scene, ids.ONCALL_COMMAND, "help")["text"]
    by_handle = slash(scene, ids.ONCALL_COMMAND, "<!subteam^S0DATAENG|@data-eng>")["text"]
    assert by_handle.startswith("*Data Engineering* · Now on call: Alice Moreau")


def test_take_a_shift_is_recorded_and_shown_by_oncall_and_whoowns(scene: Scene) -> None:
    reply = slash(scene, ids.ONCALL_COMMAND, "take data_engineering until 18:00", user=BOGDAN)
    assert (
        "You are on call for Data Engineering from now until Tue 18:00 Europe/Berlin"
        in (reply["text"])
    )
    with Session(scene.services.engine) as session:
        row = session.scalars(select(OncallOverride)).one()
    assert (row.team_id, row.person, row.created_by) == ("data_engineering", BOGDAN, BOGDAN)
    assert row.ends_at == datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 18:00 in Berlin (CET)

    text = shown(slash(scene, ids.ONCALL_COMMAND, "Data Engineering"))
    assert "Now on call: Bogdan Ilic, until Tue 18:00 Europe/Berlin (override)" in text
    assert "Next: Alice Moreau, from Tue 18:00 Europe/Berlin, until Mon 09:00" in text
    answer = shown(slash(scene, ids.WHOOWNS_COMMAND, "customer_master_db"))
    assert "*Data Engineering* (@data-eng) — on call: Bogdan Ilic" in answer

    scene.clock.advance(seconds=6 * 3600)  # 18:00 UTC: the taken shift is over
    assert "Now on call: Alice Moreau" in shown(slash(scene, ids.ONCALL_COMMAND, "@data-eng"))


def test_oncall_lists_the_overrides_coming_up(scene: Scene) -> None:
    scene.clock.now = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)  # the example's holiday cover
    text = shown(slash(scene, ids.ONCALL_COMMAND, "data_engineering"))
    assert (
        "Override: Alice Moreau, Thu 24 Dec 09:00 Europe/Berlin – Mon 28 Dec 09:00 Europe/Berlin"
    ) in text


def test_take_this_shift_button_and_who_may_take_it(scene: Scene) -> None:
    [take] = buttons(slash(scene, ids.ONCALL_COMMAND, "data_engineering"), ids.TAKE_SHIFT_ACTION)
    assert take["confirm"]["text"]["text"].startswith("You will be on call for Data Engineering")
    refused = press(scene, take, user=STRANGER, action_ts="1767226000.000001")
    assert refused["text"] == (
        "Only members of Data Engineering (in the registry) can take its on-call shift."
    )
    taken = press(scene, take, user=BOGDAN, action_ts="1767226000.000002")
    assert "until Mon 09:00 Europe/Berlin" in taken["text"]  # to the end of the current shift
    text = shown(slash(scene, ids.ONCALL_COMMAND, "data_engineering"))
    # His taken shift runs into his own rotation week: one shift, until that week ends.
    assert "Now on call: Bogdan Ilic, until Mon 23 Mar 09:00 Europe/Berlin (override)" in text
    assert "Next: Chen Wei, from Mon 23 Mar 09:00" in text


def test_take_with_a_duration_and_unreadable_until(scene: Scene) -> None:
    reply = slash(scene, ids.ONCALL_COMMAND, "take Data Engineering for 2h", user=BOGDAN)
    assert "until Tue 15:00 Europe/Berlin" in reply["text"]
    bad = slash(scene, ids.ONCALL_COMMAND, "take data_engineering until whenever", user=BOGDAN)
    assert bad["text"].startswith("I can't read that:")
    assert slash(scene, ids.ONCALL_COMMAND, "take", user=BOGDAN)["text"].startswith("Which team?")
