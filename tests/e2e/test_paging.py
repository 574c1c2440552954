"""A question is not a page: answers name people; "Page on-call" (confirmed, recorded) pages.

Signed requests through the real app on SQLite and PostgreSQL; the page goes out through the
outbox to the fake Slack.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import OncallPage
from ownership.oncall import on_call
from tests.e2e.conftest import NOW
from tests.e2e.incident_scene import Scene
from tests.e2e.oncall_scene import ALICE, PINGS, buttons, press, scene, shown, slash
from tests.fakes.fake_slack import wait_for
from tests.fakes.signing import BOT_USER_ID

__all__ = ["scene"]


def pages(scene: Scene) -> int:
    with Session(scene.services.engine) as session:
        return int(session.scalar(select(func.count()).select_from(OncallPage)) or 0)


def test_an_answer_pings_nobody_and_page_oncall_pages_once(scene: Scene) -> None:
    person = on_call(scene.holder.registry.teams["mlops_churn"], NOW)
    assert person is not None
    answer = slash(scene, ids.WHOOWNS_COMMAND, "churn_model")
    assert f"on call: {person.name}" in shown(answer)  # named ...
    assert not any(p in shown(answer) for p in PINGS)  # ... never mentioned
    [page] = buttons(answer, ids.PAGE_ONCALL_ACTION)
    assert page["confirm"]["title"]["text"] == f"Page {person.name}?"  # Slack asks first
    assert page["value"] == "mlops_churn churn_model"

    reply = press(scene, page, user=ALICE, action_ts="1767226000.000001")
    assert f"Paged {person.name} (MLOps Churn on-call) in #mlops-churn-oncall" in reply["text"]
    press_again = scene.button_body(
        page["action_id"],
        page["value"],
        user=ALICE,
        action_ts="1767226000.000001",
        response_id="replay",
    )
    assert scene.sender.post(press_again, "application/x-www-form-urlencoded").status_code == 200
    scene.deliver()
    sent = scene.posts("#mlops-churn-oncall")
    assert len(sent) == 1  # the replayed click paged nobody again
    paged = f":rotating_light: <@{person.slack_id}>, <@{ALICE}> is asking"
    assert sent[0]["text"].startswith(paged)
    assert "`churn_model`" in sent[0]["text"]
    assert pages(scene) == 1
    with Session(scene.services.engine) as session:
        row = session.scalars(select(OncallPage)).one()
    assert (row.team_id, row.paged, row.asked_by, row.query) == (
        "mlops_churn",
        person.slack_id,
        ALICE,
        "churn_model",
    )
    assert row.created_at == NOW


def test_a_mention_question_in_a_channel_pings_nobody(scene: Scene) -> None:
    scene.sender.app_mention(
        f"<@{BOT_USER_ID}> who owns churn_model?", event_id="EvP1", ts="1767220000.000100"
    )
    wait_for(lambda: scene.posts("C0GENERAL1"), message="the threaded answer")
    [reply] = scene.posts("C0GENERAL1")
    text = shown(reply)
    assert "on call: " in text
    assert not any(p in text for p in PINGS)
    assert buttons(reply, ids.PAGE_ONCALL_ACTION)  # paging is one confirmed click away
    assert pages(scene) == 0


def test_the_page_button_under_an_oncall_answer_confirms_records_and_pages(scene: Scene) -> None:
    answer = slash(scene, ids.ONCALL_COMMAND, "data_engineering")
    assert not any(p in shown(answer) for p in PINGS)  # asking who is on call pages nobody
    [page] = buttons(answer, ids.PAGE_ONCALL_ACTION)
    assert page["confirm"]["title"]["text"] == "Page Alice Moreau?"  # Slack asks first
    assert page["value"] == "data_engineering"
    assert buttons(answer, ids.TAKE_SHIFT_ACTION)  # next to "Take this shift"

    reply = press(scene, page, user="U0DANAKOW", action_ts="1767226100.000001")
    assert "Paged Alice Moreau (Data Engineering on-call) in #data-eng-oncall" in reply["text"]
    scene.deliver()
    [sent] = scene.posts("#data-eng-oncall")
    assert sent["text"].startswith(f":rotating_light: <@{ALICE}>, <@U0DANAKOW> is asking")
    with Session(scene.services.engine) as session:
        row = session.scalars(select(OncallPage)).one()
    assert (row.team_id, row.paged, row.asked_by) == ("data_engineering", ALICE, "U0DANAKOW")
