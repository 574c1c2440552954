"""Helpers for the Slack surfaces' end-to-end tests: /demarc, the Home tab, DMs, late data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest

from bot.probes import ProbeResult
from tests.e2e.incident_scene import ASKER, FORM, Scene
from tests.fakes.fake_slack import FakeSlack, wait_for
from tests.fakes.signing import TEAM_ID, command_body


@pytest.fixture
def scene(database_url: str, slack: FakeSlack) -> Iterator[Scene]:
    with ExitStack() as stack:
        yield Scene(slack, database_url, stack)


def demarc(scene: Scene, text: str, *, user: str = ASKER) -> str:
    """`/demarc <text>`; the ephemeral answer's text."""
    rid = scene.next_id("demarc")
    body = command_body(text, response_url=scene.slack.response_url(rid), command="/demarc",
                        user_id=user)
    assert scene.sender.post(body, FORM).status_code == 200
    return str(scene.answer(rid)["text"])


def dms(scene: Scene, user: str) -> list[dict[str, Any]]:
    """What demarc posted to `user`'s DM (chat.postMessage to the user id)."""
    return [r.body for r in scene.slack.calls("chat.postMessage") if r.body.get("channel") == user]


def data_at(scene: Scene, contract: str, last_update: datetime) -> None:
    """Check `contract` now, its probe seeing `last_update` as the newest data."""
    freshness = scene.services.freshness
    freshness.probe_many = lambda jobs: {cid: ProbeResult(last_update=last_update)
                                         for cid, _ in jobs}
    freshness.check([contract])


def homes(scene: Scene, user: str) -> list[dict[str, Any]]:
    """Every Home view published for `user`, oldest first."""
    out = []
    for r in scene.slack.calls("views.publish"):
        if r.body.get("user_id") == user:
            view = r.body["view"]
            out.append(json.loads(view) if isinstance(view, str) else view)
    return out


def open_home(scene: Scene, user: str) -> dict[str, Any]:
    before = len(homes(scene, user))
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME0001", "tab": "home",
             "event_ts": scene.next_ts()}
    assert scene.sender.event(event, event_id=scene.next_id("Ev")).status_code == 200
    wait_for(lambda: len(homes(scene, user)) > before, message="views.publish")
    return homes(scene, user)[-1]


def home_action(scene: Scene, user: str, action_id: str, value: str, *,
                typed: bool = False) -> dict[str, Any]:
    """Press a button (or type and press Enter, `typed`) in `user`'s Home tab."""
    before = len(homes(scene, user))
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b1",
                              "action_ts": scene.next_ts()}
    if typed:
        action.update(type="plain_text_input", value=value)
    else:
        action.update(type="button", value=value, text={"type": "plain_text", "text": "x"})
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "u", "name": "u", "team_id": TEAM_ID},
        "api_app_id": "A0DEMARC01",
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": "V0HOME0001"},
        "trigger_id": "1111.2222.trigger",
        "team": {"id": TEAM_ID, "domain": "test"},
        "view": {"id": "V0HOME0001", "type": "home", "team_id": TEAM_ID, "blocks": [],
                 "private_metadata": "", "callback_id": "", "state": {"values": {}},
                 "hash": "1.x"},
        "actions": [action],
    }
    assert scene.sender.post("payload=" + quote(json.dumps(payload)), FORM).status_code == 200
    wait_for(lambda: len(homes(scene, user)) > before, message="views.publish after an action")
    return homes(scene, user)[-1]


def text_of(view_or_blocks: Any) -> str:
    return json.dumps(view_or_blocks, ensure_ascii=False)


def submit_values(scene: Scene, callback_id: str, metadata: str, values: dict[str, Any], *,
                  user: str = ASKER) -> Any:
    """Submit a modal with these `values` (its state)."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": user, "username": "u", "name": "u", "team_id": TEAM_ID},
        "api_app_id": "A0DEMARC01",
        "token": "legacy-verification-token",
        "trigger_id": "1111.2222.trigger",
        "view": {"id": scene.next_id("V0VIEW"), "team_id": TEAM_ID, "type": "modal",
                 "callback_id": callback_id, "private_metadata": metadata, "hash": "1.abc",
                 "blocks": [], "state": {"values": values}},
        "response_urls": [],
    }
    return scene.sender.post("payload=" + quote(json.dumps(payload)), FORM)
