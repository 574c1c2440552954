"""Helpers for the data-request end-to-end tests: the modal, its submission, the thread."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import CheckRollup
from tests.conftest import EXAMPLE_REGISTRY
from tests.e2e.incident_scene import FORM, Scene
from tests.e2e.surfaces_scene import submit_values
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_slack import FakeSlack, wait_for
from tests.fakes.signing import command_body

DANA = "U0DANAKOW"  # MLOps Churn
ALICE = "U0ALICE01"  # Data Engineering
DATA_ENG_CHANNEL = "#data-eng-oncall"


def open_modal(scene: Scene, text: str = "request customer_master_db", *,
               user: str = DANA) -> dict[str, Any]:
    before = len(scene.slack.calls("views.open"))
    body = command_body(text, response_url=scene.slack.response_url(scene.next_id("rq")),
                        command="/demarc", user_id=user)
    assert scene.sender.post(body, FORM).status_code == 200
    wait_for(lambda: len(scene.slack.calls("views.open")) > before, message="views.open")
    view = scene.slack.calls("views.open")[-1].body["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def values(**fields: str) -> dict[str, Any]:
    """A submitted request modal's state: text inputs, selects, the date and time pickers."""
    defaults = {"what": "Customer demographics for churn features", "source": "customer_master_db",
                "frequency": "daily", "at": "02:00", "timezone": "UTC",
                "max_delay": "30 minutes", "columns": "customer_id: string required\n"
                "signup_date: date\nsegment: string optional",
                "purpose": "Churn model <v2> & retraining", "consumer_team": "mlops_churn"}
    defaults.update(fields)
    state: dict[str, Any] = {}
    for name, value in defaults.items():
        if name in ("source", "frequency", "consumer_team"):
            element = {"type": "static_select", "selected_option": {"value": value}}
        elif name == "at":
            element = {"type": "timepicker", "selected_time": value}
        elif name == "by_when":
            element = {"type": "datepicker", "selected_date": value}
        else:
            element = {"type": "plain_text_input", "value": value}
        state[name] = {name: element}
    return state


def submit(scene: Scene, view: dict[str, Any], *, user: str = DANA, **fields: str) -> Any:
    return submit_values(scene, ids.REQUEST_VIEW, view["private_metadata"], values(**fields),
                         user=user)


def rollups(scene: Scene, contract: str, on_time: int, late: int) -> None:
    """`on_time + late` days of history before today, the late ones the most recent."""
    today = scene.clock().date()
    with Session(scene.services.engine) as s, s.begin():
        for n in range(1, on_time + late + 1):
            s.add(CheckRollup(contract_id=contract, day=today - timedelta(days=n),
                              expected_periods=1, on_time_periods=0 if n <= late else 1,
                              late_periods=1 if n <= late else 0, checks=24))


def posts_in(scene: Scene, channel: str) -> list[dict[str, Any]]:
    cid = scene.slack.channel_id(channel)
    return [r.body for r in scene.slack.calls("chat.postMessage")
            if r.body.get("channel") in (cid, channel)]


def press(scene: Scene, action_id: str, request_id: int = 1, *, user: str) -> str:
    """Press a button on the request's root; the response id of its ephemeral answers."""
    rid = scene.next_id("rqa")
    body = scene.button_body(action_id, str(request_id), user=user, action_ts=scene.next_ts(),
                             response_id=rid)
    assert scene.sender.post(body, FORM).status_code == 200
    return rid


def modal_after(scene: Scene, action_id: str, *, user: str) -> dict[str, Any]:
    before = len(scene.slack.calls("views.open"))
    press(scene, action_id, user=user)
    wait_for(lambda: len(scene.slack.calls("views.open")) > before, message="views.open")
    view = scene.slack.calls("views.open")[-1].body["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def counter_values(**fields: str) -> dict[str, Any]:
    state = {k: v for k, v in values(**fields).items()
             if k in ("frequency", "at", "timezone", "max_delay", "columns")}
    state["note"] = {"note": {"type": "plain_text_input", "value": fields.get("note", "")}}
    return state


def make_request(scene: Scene) -> None:
    view = open_modal(scene)
    assert submit(scene, view).status_code == 200
    wait_for(lambda: scene.slack.calls("chat.postEphemeral"), message="request posted")
    scene.deliver()


def thread_texts(scene: Scene) -> list[str]:
    return [json.dumps(p.get("blocks"), ensure_ascii=False) for p in posts_in(scene,
            DATA_ENG_CHANNEL) if p.get("thread_ts")]


def git_registry(tmp_path: Path) -> Path:
    """A copy of the example registry in a git repository of its own (one commit on main)."""
    root = tmp_path / "registry-repo"
    shutil.copytree(EXAMPLE_REGISTRY, root)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "registry"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def scenes(url: str, tmp_path: Path, slack: FakeSlack, **settings: Any) -> Iterator[Scene]:
    environ = settings.pop("environ", None)
    with ExitStack() as stack:
        yield Scene(slack, url, stack, environ=environ,
                    registry_path=git_registry(tmp_path), **settings)


@pytest.fixture
def rscene(database_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[Scene]:
    """A scene on its own git copy of the registry: accepted requests become local branches."""
    yield from scenes(database_url, tmp_path, slack)


@pytest.fixture
def hub() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def hubscene(database_url: str, tmp_path: Path, slack: FakeSlack,
             hub: FakeGitHub) -> Iterator[Scene]:
    """A scene whose accepted requests become pull requests at the fake GitHub."""
    yield from scenes(database_url, tmp_path, slack, git_api_url=hub.url,
                      git_repository="acme/registry", environ={"GITHUB_TOKEN": "ghp-test-token"})
