"""The "Add to incident timeline" message shortcut end to end, on SQLite and PostgreSQL: in the
incident's thread it records at once; elsewhere a modal picks the open incident."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import IncidentEvent
from tests.e2e.incident_scene import ASKER, CHANNEL_ID, FORM, Scene
from tests.e2e.surfaces_scene import scene, submit_values
from tests.fakes.fake_slack import wait_for
from tests.fakes.signing import TEAM_ID

__all__ = ["scene"]  # the fixture
CHEN = "U0CHENWEI"


def shortcut(scene: Scene, *, channel: str, ts: str, text: str, thread_ts: str | None = None,
             rid: str) -> None:
    message: dict[str, Any] = {"type": "message", "user": CHEN, "text": text, "ts": ts}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "message_action",
        "callback_id": ids.TIMELINE_SHORTCUT,
        "trigger_id": "1111.2222.shortcut",
        "action_ts": scene.next_ts(),
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": ASKER, "username": "asker", "team_id": TEAM_ID, "name": "asker"},
        "channel": {"id": channel, "name": "somewhere"},
        "message": message,
        "message_ts": ts,
        "response_url": scene.slack.response_url(rid),
        "token": "legacy-verification-token",
    }
    assert scene.sender.post("payload=" + quote(json.dumps(payload)), FORM).status_code == 200


def timeline(scene: Scene) -> list[str]:
    with Session(scene.services.engine) as s:
        return list(s.scalars(select(IncidentEvent.detail).where(IncidentEvent.kind == "message")))


def open_one(scene: Scene) -> None:
    scene.command('customer_age "predictions wrong"')
    scene.wait_event("opened")
    scene.deliver()


def test_in_the_incident_thread_the_message_is_recorded_at_once(scene: Scene) -> None:
    open_one(scene)
    root = scene.root_ts()
    root_channel = scene.slack.channel_id("#mlops-churn-oncall")
    shortcut(scene, channel=root_channel, ts="1767226999.000100", thread_ts=root,
             text="restarted the <feature> job & it is *green*", rid="sc1")
    assert scene.answer("sc1")["text"] == "Added the message to incident #1's timeline."
    [detail] = timeline(scene)
    assert detail.startswith("Chen Wei (U0CHENWEI): restarted the <feature> job & it is *green*")
    assert "https://demarc-test.slack.com/archives/" in detail  # the permalink
    scene.deliver()
    [pin] = [t for t in scene.thread() if ":pushpin:" in t]
    assert "&lt;feature&gt; job &amp; it" in pin  # escaped where shown


def test_elsewhere_a_modal_picks_the_incident(scene: Scene) -> None:
    shortcut(scene, channel=CHANNEL_ID, ts="1767226999.000200", text="x", rid="none")
    assert scene.answer("none")["text"].startswith("No incident is open")
    open_one(scene)
    shortcut(scene, channel=CHANNEL_ID, ts="1767226999.000300", text="saw nulls " * 300,
             rid="sc2")
    wait_for(lambda: scene.slack.calls("views.open"), message="views.open")
    view = scene.slack.calls("views.open")[-1].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == ids.TIMELINE_VIEW
    assert len(view["private_metadata"]) <= 3000
    values = {"incident": {"incident_choice": {"type": "static_select",
                                               "selected_option": {"value": "1"}}}}
    response = submit_values(scene, ids.TIMELINE_VIEW, view["private_metadata"], values)
    assert response.status_code == 200
    wait_for(lambda: timeline(scene), message="the message on the timeline")
    [detail] = timeline(scene)
    assert detail.startswith("Chen Wei (U0CHENWEI): saw nulls saw nulls")
    assert len(detail) < 700  # truncated
    ephemeral = scene.slack.calls("chat.postEphemeral")[-1].body
    assert ephemeral["text"] == "Added the message to incident #1's timeline."
