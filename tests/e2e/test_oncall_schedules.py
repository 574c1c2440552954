"""`/oncall` for teams whose rotation lives in PagerDuty or an iCalendar feed: signed requests
through the real app (SQLite and PostgreSQL), the schedules served by local fakes, one of
them down; the token comes from the environment, as in production."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient

from bot.blocks import ids
from bot.bootstrap import Services, build
from bot.registry.holder import RegistryHolder
from bot.slack.app import create_app
from bot.slack.web import EVENTS_PATH
from tests.conftest import EXAMPLE_REGISTRY
from tests.e2e.conftest import NOW, SIGNING_SECRET, serving
from tests.e2e.incident_scene import Scene
from tests.e2e.oncall_scene import PINGS, buttons, press, shown, slash
from tests.fakes.fake_schedules import FakeSchedules
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.signing import FakeSlackSender
from tests.integration.conftest import _postgres_schema_url

TEAMS = """teams:
  - id: platform
    name: Platform
    timezone: Europe/Berlin
    slack: {{oncall_channel: "#platform-oncall"}}
    members:
      - {{name: Ivan Petrov, slack: U0IVANPET, email: ivan@company.com}}
    oncall_schedule: {{kind: pagerduty, id: PSCHED1, token: env:PD_TOKEN, url: "{pd}"}}
  - id: search
    name: Search
    members:
      - {{name: Farah Haddad, slack: U0FARAH01, email: farah@company.com}}
    oncall_schedule: {{kind: ical, url: "{down}/feed.ics"}}
assets:
  - {{id: platform_gateway, kind: source, owner: platform}}
"""


class ScheduleScene(Scene):
    """The incident scene on a registry with schedule-backed teams and PD_TOKEN set."""

    registry_dir: Path

    def start(self) -> Services:
        self.settings = replace(self.settings, registry_path=self.registry_dir)
        self.holder = RegistryHolder.from_path(self.registry_dir)
        client = WebClient(
            token=self.settings.slack_bot_token, base_url=self.slack.base_url, retry_handlers=[]
        )
        services = build(
            replace(self.settings, database_url=self.url),
            slack_client=client,
            environ={"PD_TOKEN": "pd-e2e-token"},
            clock=self.clock,
            holder=self.holder,
        )
        self.stack.callback(services.close)
        app = create_app(self.settings, self.holder, clock=self.clock, services=services)
        base = self.stack.enter_context(serving(app))
        http = self.stack.enter_context(httpx.Client(timeout=10.0))
        self.sender = FakeSlackSender(
            http, base + EVENTS_PATH, SIGNING_SECRET, response_url=self.slack.response_url
        )
        self.services = services
        return services


@pytest.fixture
def pd() -> Iterator[FakeSchedules]:
    with FakeSchedules() as server:
        server.oncalls = [
            {
                "escalation_level": 1,
                "start": (NOW - timedelta(hours=3)).isoformat(),
                "end": (NOW + timedelta(hours=6)).isoformat(),
                "user": {"summary": "Ivan Petrov", "email": "ivan@company.com"},
            }
        ]
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def scene(
    request: pytest.FixtureRequest, tmp_path: Path, slack: FakeSlack, pd: FakeSchedules
) -> Iterator[Scene]:
    registry = tmp_path / "registry"
    shutil.copytree(EXAMPLE_REGISTRY, registry)
    with FakeSchedules() as down:
        down.down()
        (registry / "more_teams.yaml").write_text(
            TEAMS.format(pd=pd.url, down=down.url), encoding="utf-8"
        )
        if request.param == "sqlite":
            urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'demarc.sqlite3'}"])
        else:
            urls = _postgres_schema_url()
        url = next(urls)
        ScheduleScene.registry_dir = registry
        try:
            with ExitStack() as stack:
                yield ScheduleScene(slack, url, stack)
        finally:
            for _ in urls:
                pass


def test_oncall_from_pagerduty(scene: Scene, pd: FakeSchedules) -> None:
    text = shown(slash(scene, ids.ONCALL_COMMAND, "platform"))
    assert "_From PagerDuty_" in text
    assert "Now on call: Ivan Petrov, until Tue 19:00 Europe/Berlin" in text  # the team's
    assert not any(p in text for p in PINGS)
    assert pd.seen[0].headers["authorization"] == "Token token=pd-e2e-token"


def test_a_schedule_that_is_down_says_on_call_unknown(scene: Scene) -> None:
    text = shown(slash(scene, ids.ONCALL_COMMAND, "search"))
    # Search sets no timezone: UTC
    assert "On-call unknown: iCalendar schedule down since Tue 12:00 UTC (HTTP 503)." in text
    assert "Now on call" not in text


def test_whoowns_and_page_name_the_on_call_the_schedule_last_gave(scene: Scene) -> None:
    assert "Ivan Petrov" not in shown(slash(scene, ids.WHOOWNS_COMMAND, "platform_gateway"))
    scene.services.oncall.tick()  # the sync job reads every schedule (and warms the cache)
    answer = slash(scene, ids.WHOOWNS_COMMAND, "platform_gateway")
    assert "*Platform* — on call: Ivan Petrov" in shown(answer)  # from the cache, in the ack
    assert "UTC" not in shown(answer)  # the team's times in its timezone
    [page] = [
        b for b in buttons(answer, ids.PAGE_ONCALL_ACTION) if b["value"].startswith("platform ")
    ]
    reply = press(scene, page, user="U0ASKER001", action_ts="1767226000.000009")
    assert (
        reply["text"]
        == "Paged Ivan Petrov (Platform on-call) in #platform-oncall. Follow up there."
    )
    scene.deliver()
    [sent] = scene.posts("#platform-oncall")
    assert sent["text"].startswith(":rotating_light: <@U0IVANPET>, <@U0ASKER001> is asking")


def test_a_schedule_down_after_answering_is_told_in_the_teams_timezone(
    scene: Scene, pd: FakeSchedules
) -> None:
    scene.services.oncall.tick()  # PagerDuty answers at 12:00 UTC
    pd.down()
    scene.clock.advance(minutes=10)  # past the cache: asked again, it is down
    text = shown(slash(scene, ids.ONCALL_COMMAND, "platform"))
    assert "Now on call: Ivan Petrov, until Tue 19:00 Europe/Berlin" in text
    assert "PagerDuty unreachable since Tue 13:10 Europe/Berlin" in text
    assert "as it said at Tue 13:00 Europe/Berlin." in text
    assert "UTC" not in text
