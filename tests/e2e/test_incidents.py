"""Incidents end to end: signed requests into Bolt's HTTP endpoint, the real services on SQLite
and PostgreSQL, the outbox delivering to the fake Slack Web API, timers on an injected clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.cli.main import main
from bot.db.models import Alert, Incident
from ownership.oncall import on_call
from tests.conftest import EXAMPLE_REGISTRY
from tests.e2e.conftest import NOW
from tests.e2e.incident_scene import ASKER, CHANNEL_ID, PINGS, STRANGER, Scene
from tests.fakes.fake_slack import FakeSlack, wait_for
from tests.fakes.signing import BOT_USER_ID


@pytest.fixture
def scene(database_url: str, slack: FakeSlack) -> Iterator[Scene]:
    with ExitStack() as stack:
        yield Scene(slack, database_url, stack)


def oncall(scene: Scene, team: str) -> str:
    person = on_call(scene.holder.registry.teams[team], NOW)
    assert person is not None
    assert person.slack_id is not None
    return person.slack_id


def open_incident(scene: Scene, text: str = 'customer_age "predictions wrong"') -> dict:
    response, rid = scene.command(text)
    assert response.status_code == 200
    answer = scene.answer(rid)
    scene.deliver()
    return answer


def resolve_metadata(scene: Scene, user: str) -> str:
    """Press Resolve; the modal demarc opens carries what the submission needs."""
    before = len(scene.slack.calls("views.open"))
    scene.press(ids.RESOLVE_INCIDENT_ACTION, user=user)
    wait_for(lambda: len(scene.slack.calls("views.open")) > before, message="views.open")
    view = scene.slack.calls("views.open")[-1].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == ids.RESOLVE_INCIDENT_VIEW
    return str(view["private_metadata"])


def test_from_open_to_postmortem_across_the_boundary(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    scene.late_alert()  # customer_master_db is late
    churn, data_eng = oncall(scene, "mlops_churn"), oncall(scene, "data_engineering")
    answer = open_incident(scene)
    assert answer["text"].startswith("Opened incident #1 (SEV2) on `customer_age`")
    roots = [b for b in scene.posts("#mlops-churn-oncall") if "thread_ts" not in b]
    assert len(roots) == 1
    [tags] = scene.thread()
    assert f"<@{churn}> *MLOps Churn* on call" in tags  # both sides, in one thread
    assert f"<@{data_eng}> *Data Engineering* on call" in tags
    [notice] = scene.posts("#mlops-reco-oncall")  # Informed: a notice, and nobody pinged
    assert "Incident #1" in notice["text"]
    assert not any(ping in json.dumps(notice, ensure_ascii=False) for ping in PINGS)

    scene.press(ids.ACKNOWLEDGE_INCIDENT_ACTION, user=churn)
    scene.wait_event("acknowledged")
    scene.press(ids.ESCALATE_INCIDENT_ACTION, user=data_eng)
    scene.wait_event("escalated")
    scene.deliver()
    thread = scene.thread()
    assert any(f":eyes: <@{churn}> acknowledged" in t for t in thread)
    assert any("<!subteam^S0MLCHURN> *MLOps Churn*: Accountable" in t for t in thread)
    assert "Escalated" in json.dumps(scene.root_edits()[-1].body["blocks"])

    metadata = resolve_metadata(scene, churn)
    response = scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata, user=churn, side="data",
                            note="The CRM export stalled at 02:00; restarted and backfilled.")
    assert response.status_code == 200
    assert response.text == ""  # the modal closes
    scene.wait_event("resolved")
    scene.deliver()
    last_root = json.dumps(scene.root_edits()[-1].body["blocks"], ensure_ascii=False)
    assert "*Resolved*" in last_root
    assert '"actions"' not in last_root  # no buttons on a resolved incident
    assert len([b for b in scene.posts("#mlops-churn-oncall") if "thread_ts" not in b]) == 1

    code = main(["incident", "export", "1", "--database-url", scene.url,
                 "--registry", str(EXAMPLE_REGISTRY)])
    draft = capsys.readouterr().out
    assert code == 0
    assert draft.startswith("# Incident #1: `customer_age`: predictions wrong")
    assert "| Severity | SEV1 (opened as SEV2) |" in draft
    assert "**Data**: the data side" in draft
    assert "The CRM export stalled at 02:00" in draft
    assert "| Data Engineering | Responsible |" in draft


def test_a_modal_without_a_side_or_note_is_sent_back(scene: Scene) -> None:
    open_incident(scene)
    churn = oncall(scene, "mlops_churn")
    metadata = resolve_metadata(scene, churn)
    response = scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata, user=churn, note="  ")
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"side", "note"}
    assert scene.events("resolved") == 0


def test_timers_escalate_on_the_injected_clock_and_a_restart_keeps_them(scene: Scene) -> None:
    open_incident(scene, "customer_age predictions wrong sev2")
    first = scene.services
    scene.clock.advance(minutes=10)
    second = scene.start()  # restart in the middle: a new process on the same database
    assert second.incidents is not None
    assert first.incidents is not None
    assert second.incidents.fire_due_timers() == 0
    scene.clock.advance(minutes=6)  # 16 min unacknowledged
    assert second.incidents.fire_due_timers() == 1
    assert first.incidents.fire_due_timers() == 0  # the old process does not fire it again
    scene.deliver()
    escalations = [t for t in scene.thread() if "Escalated to SEV1" in t]
    assert len(escalations) == 1
    assert "automatically" in escalations[0]
    scene.press(ids.ACKNOWLEDGE_INCIDENT_ACTION, user=oncall(scene, "mlops_churn"))
    scene.wait_event("acknowledged")  # the restarted app acts on the stored incident
    with Session(second.engine) as s:
        row = s.get(Incident, 1)
        assert row is not None
        assert (row.status, row.severity) == ("escalated", "sev1")


def test_unknown_asset_gets_suggestions_and_an_empty_summary_gets_usage(scene: Scene) -> None:
    response, rid = scene.command("custmer_age predictions wrong")
    assert response.status_code == 200
    assert "Did you mean `customer_age`" in scene.answer(rid)["text"]
    response, _ = scene.command("customer_age")
    body = response.json()  # answered in the ack: nothing to look up
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("Say what is wrong after the asset.")
    response, _ = scene.command("")
    assert "/incident <asset> <summary>" in response.json()["text"]
    scene.deliver()
    assert not scene.slack.calls("chat.postMessage")


def test_a_second_incident_on_the_asset_points_to_the_open_one(scene: Scene) -> None:
    open_incident(scene)
    _, rid = scene.command("age still wrong")
    assert "Incident #1 (SEV2, open) is already open on `customer_age`" in scene.answer(rid)[
        "text"]
    scene.deliver()
    assert len([b for b in scene.posts("#mlops-churn-oncall") if "thread_ts" not in b]) == 1


def test_a_stranger_pressing_resolve_or_escalate_is_told_who_may(scene: Scene) -> None:
    open_incident(scene)
    for action in (ids.RESOLVE_INCIDENT_ACTION, ids.ESCALATE_INCIDENT_ACTION):
        rid = scene.press(action, user=STRANGER)
        answer = scene.answer(rid)
        assert answer["response_type"] == "ephemeral"
        assert answer["replace_original"] is False
        assert answer["text"].startswith("Only members of *Data Engineering*, *MLOps Churn*")
    assert not scene.slack.calls("views.open")
    assert scene.events("escalated") == scene.events("resolved") == 0


def test_resolving_twice_and_old_buttons_of_a_resolved_incident(scene: Scene) -> None:
    open_incident(scene)
    churn = oncall(scene, "mlops_churn")
    metadata = resolve_metadata(scene, churn)
    scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata, user=churn, side="external", note="vendor")
    scene.wait_event("resolved")
    metadata_again = metadata  # a second modal opened before the first was submitted
    scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata_again, user=churn, side="data", note="x")
    wait_for(lambda: scene.slack.calls("chat.postEphemeral"), message="ephemeral")
    [ephemeral] = scene.slack.calls("chat.postEphemeral")
    assert ephemeral.body["channel"] == CHANNEL_ID
    assert ephemeral.body["user"] == churn
    assert "already resolved" in ephemeral.body["text"]
    assert scene.events("resolved") == 1
    for action in (ids.ACKNOWLEDGE_INCIDENT_ACTION, ids.NOTE_INCIDENT_ACTION,
                   ids.RESOLVE_INCIDENT_ACTION):
        rid = scene.press(action, user=churn)
        assert "is already resolved" in scene.answer(rid)["text"]
    assert len(scene.slack.calls("views.open")) == 1


def test_replayed_and_double_clicked_buttons_act_once(scene: Scene) -> None:
    open_incident(scene)
    churn = oncall(scene, "mlops_churn")
    body = scene.button_body(ids.ACKNOWLEDGE_INCIDENT_ACTION, "1", user=churn,
                             action_ts="1767226999.000001", response_id="replay")
    assert scene.sender.post(body, "application/x-www-form-urlencoded").status_code == 200
    assert scene.sender.post(body, "application/x-www-form-urlencoded").status_code == 200
    scene.wait_event("acknowledged")
    rid = scene.press(ids.ACKNOWLEDGE_INCIDENT_ACTION, user=oncall(scene, "data_engineering"))
    assert "was acknowledged already" in scene.answer(rid)["text"]  # the double click
    scene.deliver()
    assert scene.events("acknowledged") == 1
    assert len([t for t in scene.thread() if ":eyes:" in t]) == 1
    assert not scene.slack.responses("replay")  # the replay got no second answer either


def test_add_note_opens_a_modal_and_anyone_may_add_one(scene: Scene) -> None:
    open_incident(scene)
    scene.press(ids.NOTE_INCIDENT_ACTION, user=STRANGER)
    wait_for(lambda: scene.slack.calls("views.open"), message="the note modal")
    view = scene.slack.calls("views.open")[0].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == ids.NOTE_INCIDENT_VIEW
    scene.submit(ids.NOTE_INCIDENT_VIEW, view["private_metadata"], user=STRANGER,
                 note="Churn scores doubled <!here>", view_id="V0NOTE1")
    scene.submit(ids.NOTE_INCIDENT_VIEW, view["private_metadata"], user=STRANGER,
                 note="Churn scores doubled <!here>", view_id="V0NOTE1")  # replayed
    scene.wait_event("note")
    scene.deliver()
    notes = [t for t in scene.thread() if "Note from" in t]
    assert len(notes) == 1
    assert "&lt;!here&gt;" in notes[0]
    assert scene.events("note") == 1


def test_open_incident_button_on_a_late_data_alert_links_both_ways(scene: Scene) -> None:
    alert_id = scene.late_alert()
    rid = scene.press(ids.OPEN_INCIDENT_ACTION, str(alert_id), user=ASKER)
    assert scene.answer(rid)["text"].startswith(
        "Opened incident #1 (SEV2) on `customer_master_db` in #data-eng-oncall")
    with Session(scene.services.engine) as s:
        alert = s.get(Alert, alert_id)
        incident = s.get(Incident, 1)
        assert alert is not None
        assert incident is not None
        assert (alert.incident_id, incident.alert_id) == (1, alert_id)
    rid = scene.press(ids.OPEN_INCIDENT_ACTION, str(alert_id), user=ASKER)
    assert "already open" in scene.answer(rid)["text"]
    scene.deliver()
    alert_thread = [b["text"] for b in scene.posts("C0DATAENG1") if b.get("thread_ts")]
    assert any("Incident #1 (SEV2) is open on `customer_master_db`" in t for t in alert_thread)


def test_mention_opens_an_incident_and_timeline_shows_it(scene: Scene) -> None:
    scene.sender.app_mention(f"<@{BOT_USER_ID}> incident customer_age predictions wrong sev1",
                             event_id="Ev0INC1", ts="1767220000.000100")
    wait_for(lambda: [b for b in scene.posts("C0GENERAL1")
                      if b.get("thread_ts") == "1767220000.000100"], message="mention reply")
    [reply] = [b for b in scene.posts("C0GENERAL1") if b.get("thread_ts")]
    assert reply["text"].startswith("Opened incident #1 (SEV1) on `customer_age`")
    scene.deliver()
    response, rid = scene.command("timeline")  # in the incident's channel
    assert response.status_code == 200
    answer = scene.answer(rid)
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "*opened*" in shown
    assert "*tagged*" in shown
    assert "SEV1: predictions wrong" in shown
    response, rid = scene.command("timeline 42")
    assert scene.answer(rid)["text"] == "There is no incident #42."
