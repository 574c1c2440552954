"""The on-call sync across replicas: each user group is updated once per handoff (however many
replicas run the job, on SQLite and PostgreSQL), rotations can share one group, and each
handoff is announced once in the team's on-call channel through the outbox."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.db.engine import make_engine
from bot.db.models import Alert, Incident, OutboxMessage
from bot.oncall.overrides import record_shift
from bot.oncall.sync import OnCallSync
from bot.registry.holder import RegistryHolder
from ownership.oncall import on_call
from tests.conftest import EXAMPLE_REGISTRY
from tests.fakes.fake_slack import FakeSlack
from tests.integration.worlds import Clock

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # Tuesday: Alice's week in data engineering
HANDOFF = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 Europe/Berlin
DE_GROUP, MLOPS_GROUP = "S0DEONCALL", "S0MLOPSONC"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def with_oncall_groups(root: Path) -> Path:
    """The example registry, with on-call user groups: one for data engineering, one that
    both MLOps rotations feed."""
    shutil.copytree(EXAMPLE_REGISTRY, root)
    teams = root / "teams.yaml"
    text = teams.read_text(encoding="utf-8")
    for channel, group in (
        ("#data-eng-oncall", "{id: S0DEONCALL, handle: data-eng-oncall}"),
        ("#mlops-churn-oncall", "{id: S0MLOPSONC, handle: mlops-oncall}"),
        ("#mlops-reco-oncall", "{id: S0MLOPSONC, handle: mlops-oncall}"),
    ):
        line = f'      oncall_channel: "{channel}"\n'
        assert line in text
        text = text.replace(line, f"{line}      oncall_usergroup: {group}\n")
    teams.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def holder(tmp_path: Path) -> RegistryHolder:
    return RegistryHolder.from_path(with_oncall_groups(tmp_path / "registry"))


def replicas(
    database_url: str, slack: FakeSlack, holder: RegistryHolder, clock: Clock, count: int = 3
) -> list[OnCallSync]:
    """`count` replicas, each with its own engine and Slack client, as separate processes."""
    out = []
    for n in range(count):
        engine = make_engine(database_url)
        client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
        out.append(OnCallSync(engine, lambda: holder.registry, client, clock, f"replica-{n}"))
    return out


def all_tick(syncs: list[OnCallSync]) -> int:
    """Every replica runs the job at once (a barrier lines them up)."""
    barrier = threading.Barrier(len(syncs))
    done: list[int] = []

    def run(sync: OnCallSync) -> None:
        barrier.wait()
        done.append(sync.tick())

    threads = [threading.Thread(target=run, args=(s,)) for s in syncs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sum(done)


def updates(slack: FakeSlack, group: str) -> list[list[str]]:
    return [
        str(r.body["users"]).split(",")
        for r in slack.calls("usergroups.users.update")
        if r.body.get("usergroup") == group
    ]


def notices(engine: Engine, channel: str) -> list[str]:
    with Session(engine) as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel))
        return [json.loads(r.payload)["text"] for r in rows]


def oncall_id(holder: RegistryHolder, team: str, at: datetime) -> str:
    person = on_call(holder.registry.teams[team], at)
    assert person is not None
    assert person.slack_id is not None
    return person.slack_id


def test_a_handoff_updates_each_group_once_across_three_replicas(
    engine: Engine, database_url: str, slack: FakeSlack, holder: RegistryHolder
) -> None:
    clock = Clock(NOW)
    syncs = replicas(database_url, slack, holder, clock)
    try:
        all_tick(syncs)
        assert updates(slack, DE_GROUP) == [["U0ALICE01"]]
        # Two rotations into one group: it holds both MLOps on-calls.
        mlops = sorted(
            {oncall_id(holder, "mlops_churn", NOW), oncall_id(holder, "mlops_recommender", NOW)}
        )
        assert updates(slack, MLOPS_GROUP) == [mlops]
        assert slack.usergroup_users(DE_GROUP) == ["U0ALICE01"]
        assert notices(engine, "#data-eng-oncall") == []  # first sight: nothing was handed off

        all_tick(syncs)  # nothing changed: nothing called
        assert len(slack.calls("usergroups.users.update")) == 2

        with Session(engine) as session, session.begin():  # open work for the notice
            session.add(
                Alert(
                    contract_id="customer_master_db",
                    period_key="2026-03-16",
                    kind="late",
                    status="open",
                    channel="#data-eng-oncall",
                    opened_at=HANDOFF,
                    affected="",
                )
            )
            session.add(
                Incident(
                    asset="customer_master_db",
                    summary="s",
                    severity="sev2",
                    opened_severity="sev2",
                    status="acknowledged",
                    channel="#x",
                    plan="{}",
                    opened_at=HANDOFF,
                )
            )

        clock.now = HANDOFF.replace(minute=1)
        all_tick(syncs)
        assert updates(slack, DE_GROUP) == [["U0ALICE01"], ["U0BOGDAN1"]]  # once per handoff
        assert slack.usergroup_users(DE_GROUP) == ["U0BOGDAN1"]
        assert notices(engine, "#data-eng-oncall") == [
            ":busts_in_silhouette: Data Engineering — now on call: Bogdan Ilic, until"
            " Mon 23 Mar 09:00 Europe/Berlin; open: 1 late contract, 1 incident"
        ]

        # The lease holder dies; another replica takes over and repeats nothing.
        holder_sync = next(s for s in syncs if s.lease.token is not None)
        holder_sync.release()
        calls = len(slack.calls("usergroups.users.update"))
        all_tick([s for s in syncs if s is not holder_sync])
        assert len(slack.calls("usergroups.users.update")) == calls
        assert len(notices(engine, "#data-eng-oncall")) == 1
    finally:
        for s in syncs:
            s.engine.dispose()


def test_a_shift_taken_in_slack_moves_the_group_and_is_announced(
    engine: Engine, database_url: str, slack: FakeSlack, holder: RegistryHolder
) -> None:
    clock = Clock(NOW)
    [sync] = replicas(database_url, slack, holder, clock, count=1)
    try:
        sync.tick()
        team = holder.registry.teams["data_engineering"]
        chen = next(p for p in team.members if p.slack_id == "U0CHENWEI")
        record_shift(engine, team, chen, NOW, NOW.replace(hour=17), "U0CHENWEI")
        sync.tick()
        assert slack.usergroup_users(DE_GROUP) == ["U0CHENWEI"]
        [notice] = notices(engine, "#data-eng-oncall")
        assert "now on call: Chen Wei, until Tue 18:00 Europe/Berlin; open: nothing" in notice
        assert "<@" not in notice
    finally:
        sync.engine.dispose()


def test_a_slack_error_is_retried_next_round(
    engine: Engine, database_url: str, slack: FakeSlack, holder: RegistryHolder
) -> None:
    slack.fail_next("usergroups.users.update", error="missing_scope", times=2)
    [sync] = replicas(database_url, slack, holder, Clock(NOW), count=1)
    try:
        sync.tick()  # both groups refused: nothing recorded
        assert slack.usergroup_users(DE_GROUP) == []
        sync.tick()
        assert slack.usergroup_users(DE_GROUP) == ["U0ALICE01"]
        assert len(slack.calls("usergroups.users.update")) == 4
    finally:
        sync.engine.dispose()
