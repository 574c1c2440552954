"""`/demarc reload` through Bolt's endpoint: admins reload, a broken registry is kept out."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient

from bot.bootstrap import Services, build
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.web import EVENTS_PATH
from tests.conftest import EXAMPLE_REGISTRY
from tests.e2e.conftest import NOW, SIGNING_SECRET, serving
from tests.fakes.fake_slack import FakeSlack, wait_for
from tests.fakes.signing import FakeSlackSender, command_body

ADMIN = "U0ADMIN001"
STRANGER = "U0STRANGER"


@dataclass
class World:
    registry: Path
    services: Services
    sender: FakeSlackSender
    slack: FakeSlack

    def reload(self, user: str, response_id: str) -> httpx.Response:
        body = command_body("reload", command="/demarc", user_id=user,
                            response_url=self.slack.response_url(response_id))
        return self.sender.post(body, "application/x-www-form-urlencoded")


@pytest.fixture
def world(slack: FakeSlack, tmp_path: Path) -> Iterator[World]:
    registry = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    settings = Settings.from_env({
        "SLACK_BOT_TOKEN": "xoxb-e2e", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DEMARC_REGISTRY": str(registry), "DEMARC_SLACK_API_URL": slack.base_url,
        "DEMARC_RESPONSE_URL_PREFIXES": slack.response_prefix, "DEMARC_ADMINS": ADMIN,
        "DEMARC_ADMIN_CHANNEL": "#demarc-admin",
        "DEMARC_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    })
    holder = RegistryHolder.from_path(registry)
    client = WebClient(token="xoxb-e2e", base_url=slack.base_url, retry_handlers=[])
    services = build(settings, slack_client=client, environ={}, clock=lambda: NOW, holder=holder)
    app = create_app(settings, holder, clock=lambda: NOW, services=services)
    try:
        with serving(app) as url, httpx.Client(timeout=10) as http:
            sender = FakeSlackSender(http, url + EVENTS_PATH, SIGNING_SECRET,
                                     response_url=slack.response_url)
            yield World(registry, services, sender, slack)
    finally:
        services.close()


def final_text(slack: FakeSlack, response_id: str) -> str:
    wait_for(lambda: slack.responses(response_id), message="a response")
    return str(slack.responses(response_id)[-1].body["text"])


def test_admin_reloads_and_the_new_asset_answers(world: World) -> None:
    (world.registry / "more.yaml").write_text(
        "assets:\n  - {id: fresh_table, kind: table, owner: data_engineering, "
        "runbook: 'https://x'}\n")
    response = world.reload(ADMIN, "r1")
    assert response.status_code == 200
    assert "Reloading" in response.text
    assert "Registry reloaded: 4 teams, 15 assets" in final_text(world.slack, "r1")
    assert "fresh_table" in world.services.holder.registry.assets


def test_a_broken_registry_is_refused_with_file_and_line(world: World) -> None:
    (world.registry / "typo.yaml").write_text(
        "assets:\n  - id: a1\n    kind: table\n    ownr: data_engineering\n")
    world.reload(ADMIN, "r2")
    text = final_text(world.slack, "r2")
    assert "Reload failed with 1 error(s)" in text
    assert "typo.yaml:4:5" in text
    assert "did you mean 'owner'" in text
    assert "a1" not in world.services.holder.registry.assets  # the last good one runs on


def test_strangers_cannot_reload(world: World) -> None:
    (world.registry / "more.yaml").write_text("assets:\n  - {id: t2, kind: table}\n")
    response = world.reload(STRANGER, "r3")
    assert response.status_code == 200
    assert "Only demarc admins" in response.text
    assert "t2" not in world.services.holder.registry.assets
    assert world.slack.responses("r3") == []


def admin_messages(world: World) -> list[str]:
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bot.db.models import OutboxMessage

    with Session(world.services.engine) as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "#demarc-admin")
        ).all()
        return [json.loads(r.payload)["text"] for r in rows]


def test_a_syntax_error_in_teams_is_the_error_shown_not_its_knock_ons(world: World) -> None:
    teams = world.registry / "teams.yaml"
    lines = teams.read_text().splitlines()
    lines[44] += " ["  # an unclosed flow list: teams.yaml no longer parses
    teams.write_text("\n".join(lines) + "\n")
    world.reload(ADMIN, "r4")
    text = final_text(world.slack, "r4")
    assert text.startswith("Reload failed with 1 error(s) (and ")
    assert "teams.yaml:46:7: error: invalid YAML" in text
    assert "is not a team" not in text
    assert "references to teams from" in text
    assert "which failed to parse, not listed" in text
    [admin] = admin_messages(world)  # the admin channel gets the same root cause
    assert "teams.yaml:46:7: error: invalid YAML" in admin
    assert "is not a team" not in admin


def test_a_loader_crash_is_reported_not_something_went_wrong(world: World) -> None:
    def crashing(path: Path) -> object:
        raise OSError(36, "File name too long")

    world.services.holder._loader = crashing  # type: ignore[assignment]
    world.reload(ADMIN, "r5")
    text = final_text(world.slack, "r5")
    assert "Something went wrong" not in text
    assert "internal error while loading" in text
    assert "File name too long" in text
    assert "customer_master_db" in world.services.holder.registry.contracts  # still serving
