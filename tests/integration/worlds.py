"""What the integration tests share: small registries, a settable clock, services wired to the
fake Slack Web API, the outbox delivered in rounds, and what reached Slack."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, Table, create_engine, text

from bot.bootstrap import Services, build
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from tests.fakes.fake_slack import FakeSlack

# ---------------------------------------------------------------------- registries
DATA_ENGINEERING = """\
  - id: data_engineering
    name: Data Engineering
    slack: {usergroup: {id: S0DATAENG}, oncall_channel: "#data-eng-oncall"}
    members: [{name: Alice, slack: U0ALICE01}]
"""
MLOPS_CHURN = """\
  - id: mlops_churn
    name: MLOps Churn
    slack: {usergroup: {id: S0MLCHURN}, oncall_channel: "#mlops-churn-oncall"}
    members: [{name: Dana, slack: U0DANAKOW}]
"""


def on_call(team: str, member: str) -> str:
    """`team` (a `teams:` entry) with a weekly rotation of its one `member`."""
    rotation = f"{{members: [{member}], period: weekly, timezone: UTC, start: 2026-01-05}}"
    return f"{team}    oncall: {rotation}\n"


DATA_ENGINEERING_ON_CALL = on_call(DATA_ENGINEERING, "U0ALICE01")
MLOPS_CHURN_ON_CALL = on_call(MLOPS_CHURN, "U0DANAKOW")


def teams(*entries: str) -> str:
    """A `teams:` list of these entries."""
    return "teams:\n" + "".join(entries)


TEAMS = teams(DATA_ENGINEERING, MLOPS_CHURN)  # no rotations
TEAMS_OWNER_ON_CALL = teams(DATA_ENGINEERING_ON_CALL, MLOPS_CHURN)
TEAMS_ON_CALL = teams(DATA_ENGINEERING_ON_CALL, MLOPS_CHURN_ON_CALL)


def write_registry(directory: Path, files: Mapping[str, str]) -> Path:
    """A registry directory holding `files` (relative name → text)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return directory


def schema_of(url: str) -> str:
    """Where the test's tables are: SQLite's main, or this test's PostgreSQL schema."""
    if url.startswith("sqlite"):
        return "main"
    engine = create_engine(url)
    with engine.connect() as conn:
        name = conn.execute(text("SELECT current_schema()")).scalar_one()
    engine.dispose()
    return str(name)


def create_load_tables(
    engine: Engine, names: Iterable[str], column: str = "updated_at"
) -> dict[str, Table]:
    """Warehouse tables of an id and a load time (`column`), created in `engine`'s database."""
    meta = MetaData()
    tables = {
        name: Table(
            name,
            meta,
            Column("id", Integer, primary_key=True),
            Column(column, DateTime(timezone=True)),
        )
        for name in names
    }
    meta.create_all(engine)
    return tables


# ---------------------------------------------------------------------- time
class Clock:
    """One settable clock for every service; the test sets `now` or moves it along."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


# ---------------------------------------------------------------------- services
def slack_client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])


def start_services(
    registry: Path | RegistryHolder,
    database_url: str,
    slack: FakeSlack,
    clock: Callable[[], datetime],
    *,
    environ: Mapping[str, str] | None = None,
    **options: Any,
) -> Services:
    """`bootstrap.build` on the fake Slack; probes read WAREHOUSE_URL = the test database unless
    `environ` says otherwise."""
    if not isinstance(registry, RegistryHolder):
        registry = RegistryHolder.from_path(registry)
    return build(
        settings_for(database_url),
        slack_client=slack_client(slack),
        environ={"WAREHOUSE_URL": database_url} if environ is None else environ,
        clock=clock,
        holder=registry,
        **options,
    )


def settings_for(database_url: str, **fields: Any) -> Settings:
    """Settings of a bot on `database_url` that never reads tokens (the client has its own)."""
    return Settings(
        slack_bot_token="xoxb-test", slack_signing_secret="", database_url=database_url, **fields
    )


def close_services(services: Services) -> None:
    services.close()


@contextmanager
def running(
    registry: Path | RegistryHolder,
    database_url: str,
    slack: FakeSlack,
    clock: Callable[[], datetime],
    **options: Any,
) -> Iterator[Services]:
    """`start_services(...)`, closed on the way out."""
    services = start_services(registry, database_url, slack, clock, **options)
    try:
        yield services
    finally:
        close_services(services)


def deliver(services: Services, clock: Clock, rounds: int = 5, seconds: float = 1.1) -> None:
    """Run the outbox `rounds` times; pacing is 1 message/s per channel: step the clock along."""
    for _ in range(rounds):
        services.outbox.deliver_due()
        clock.advance(seconds=seconds)


# ---------------------------------------------------------------------- what Slack got
def posts(slack: FakeSlack, channel: str | None = None) -> list[dict[str, Any]]:
    """The bodies of every chat.postMessage (to `channel`, if given), in order."""
    return [
        r.body
        for r in slack.calls("chat.postMessage")
        if channel is None or r.body.get("channel") == channel
    ]


def roots(slack: FakeSlack, channel: str | None = None) -> list[dict[str, Any]]:
    """The posts outside any thread."""
    return [b for b in posts(slack, channel) if "thread_ts" not in b]


def updates(slack: FakeSlack) -> list[dict[str, Any]]:
    return [r.body for r in slack.calls("chat.update")]


def blocks_text(body: dict[str, Any]) -> str:
    """A message's blocks as JSON text, whether Slack got them as a string or a list."""
    raw = body.get("blocks")
    return json.dumps(json.loads(raw) if isinstance(raw, str) else raw)


class World:
    """Running services, the fake Slack they post to, and their clock."""

    def __init__(self, services: Services, slack: FakeSlack, clock: Clock) -> None:
        self.services, self.slack, self.clock = services, slack, clock

    def deliver(self, rounds: int = 5) -> None:
        deliver(self.services, self.clock, rounds)

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return posts(self.slack, channel)

    def roots(self) -> list[dict[str, Any]]:
        return roots(self.slack)

    def updates(self) -> list[dict[str, Any]]:
        return updates(self.slack)
