"""Signed `/oncall`, `/whoowns` and button requests into the real app (on SQLite and
PostgreSQL) for the on-call tests; builds on the incident scene."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.e2e.incident_scene import FORM, Scene
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.signing import command_body

ALICE, BOGDAN, CHEN = "U0ALICE01", "U0BOGDAN1", "U0CHENWEI"
DANA = "U0DANAKOW"
PINGS = ("<@", "<!subteam", "<!channel", "<!here")


@pytest.fixture
def scene(database_url: str, slack: FakeSlack) -> Iterator[Scene]:
    with ExitStack() as stack:
        yield Scene(slack, database_url, stack)


def slash(scene: Scene, command: str, text: str, *, user: str = ALICE) -> dict[str, Any]:
    """Send `command text`; the answer (from the ack body, or the response URL after it)."""
    rid = scene.next_id("cmd")
    body = command_body(
        text, response_url=scene.slack.response_url(rid), command=command, user_id=user
    )
    response = scene.sender.post(body, FORM)
    assert response.status_code == 200
    if response.content:
        return dict(response.json())
    return scene.answer(rid)


def press(scene: Scene, button: dict[str, Any], *, user: str, action_ts: str) -> dict[str, Any]:
    rid = scene.next_id("act")
    body = scene.button_body(
        button["action_id"], button["value"], user=user, action_ts=action_ts, response_id=rid
    )
    assert scene.sender.post(body, FORM).status_code == 200
    return scene.answer(rid)


def buttons(answer: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    return [
        element
        for block in answer.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]


def shown(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)
