"""Lineage folding: a downstream breach is listed under the upstream root that is actually open,
only when the upstream broke first, and at once (in the check that finds it late).

Chain A -> B -> C and a diamond A -> {B, D} -> E, each contract owned by its own team with its
own on-call channel; checks run one at a time as the scheduler runs them (`check_claimed`) or
in sweeps, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.db.models import Alert
from bot.freshness.judge import Timing
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.worlds import Clock, blocks_text, running, write_registry

DAY = datetime(2026, 11, 25, tzinfo=UTC)
YESTERDAY = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # every table's last load
# contract -> (upstream assets, due hour): late 30 min after the due hour
GRAPH = {
    "a_raw": ((), 2),
    "b_clean": (("a_raw",), 3),
    "c_features": (("b_clean",), 4),
    "d_side": (("a_raw",), 3),
    "e_model": (("b_clean", "d_side"), 5),
}


def user(name: str) -> str:
    return f"U0PERS{list(GRAPH).index(name):03d}"


def channel(name: str) -> str:
    return f"#{name}-oncall"


def registry_files() -> dict[str, str]:
    teams = "teams:\n" + "".join(
        f"  - id: team_{n}\n    name: Team {n.upper()}\n"
        f'    slack: {{oncall_channel: "{channel(n)}"}}\n'
        f"    members: [{{name: P{n}, slack: {user(n)}}}]\n"
        f"    oncall: {{members: [{user(n)}], period: weekly, timezone: UTC, "
        "start: 2026-01-05}\n"
        for n in GRAPH
    )
    assets = "assets:\n" + "".join(
        f"  - {{id: {n}, kind: table, owner: team_{n}, upstream: [{', '.join(up)}]}}\n"
        for n, (up, _) in GRAPH.items()
    )
    files = {"teams.yaml": teams + assets}
    for n, (_, hour) in GRAPH.items():
        files[f"{n}.yaml"] = (
            f"data_source: {n}\nowner_team: team_{n}\n"
            f'sla: {{update_frequency: daily, update_time: "{hour:02d}:00 UTC", '
            'max_delay: "30 minutes"}\n'
            f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {n}, "
            "timestamp_column: updated_at}}\n"
        )
    return files


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


class World(worlds.World):
    def __init__(self, services: Services, slack: FakeSlack, clock: Clock) -> None:
        super().__init__(services, slack, clock)
        self.tables = worlds.create_load_tables(services.engine, GRAPH)
        for name in GRAPH:
            self.load(name, YESTERDAY)

    def load(self, name: str, when: datetime) -> None:
        with self.services.engine.begin() as conn:
            conn.execute(self.tables[name].insert().values(updated_at=when))

    def check(self, name: str, when: datetime) -> str | None:
        """The scheduler's way: one claimed check, announced in its own transaction."""
        self.clock.now = when
        report = self.services.freshness.check_claimed(name, "test-replica")
        assert report is not None, f"{name} was not due at {when}"
        return report.action

    def sweep(self, when: datetime) -> None:
        self.clock.now = when
        self.services.freshness.check()

    def alerts(self) -> dict[str, Alert]:
        with Session(self.services.engine) as s:
            return {a.contract_id: a for a in s.scalars(select(Alert).where(Alert.kind == "late"))}

    def own_roots(self, name: str) -> list[dict[str, object]]:
        return [b for b in self.posts(channel(name)) if "thread_ts" not in b]

    def deliver(self, rounds: int = 12) -> None:
        super().deliver(rounds)

    def thread(self, name: str) -> str:
        """The replies in the threads of `name`'s on-call channel."""
        ids = {channel(name), self.slack.channel_id(channel(name))}
        return "\n".join(
            str(b["text"]) for b in self.posts() if "thread_ts" in b and b["channel"] in ids
        )


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    registry = write_registry(tmp_path / "registry", registry_files())
    clock = Clock(at(2, 31))
    with (
        FakeSlack() as slack,
        running(registry, database_url, slack, clock,
                timing=Timing(recheck=timedelta(minutes=10)), probe_timeout=20) as services,
    ):
        yield World(services, slack, clock)


def test_chain_downstream_of_a_folded_alert_is_listed_under_the_open_root(world: World) -> None:
    world.check("a_raw", at(2, 31))
    assert world.check("b_clean", at(3, 31)) == "attached to a_raw"
    world.load("a_raw", at(4, 20))
    assert world.check("a_raw", at(4, 21)) == "recovered"  # b_clean waits for its rerun
    # c_features breaks while b_clean is still late, listed under a_raw's root
    assert world.check("c_features", at(4, 31)) == "attached to a_raw"
    world.deliver()
    assert world.own_roots("c_features") == []
    assert world.own_roots("b_clean") == []
    alerts = world.alerts()
    assert alerts["c_features"].caused_by_alert_id == alerts["a_raw"].id
    assert "`c_features`" in world.thread("a_raw")


def test_chain_when_the_root_settles_the_middle_gets_its_root_and_takes_its_downstream(
    world: World,
) -> None:
    world.check("a_raw", at(2, 31))
    world.check("b_clean", at(3, 31))
    world.load("a_raw", at(4, 20))
    world.check("a_raw", at(4, 21))
    world.check("c_features", at(4, 31))
    world.deliver()
    # c_features is checked before b_clean: its upstream b_clean is still late, so it waits
    assert world.check("c_features", at(4, 41)) == "still late"
    assert world.check("b_clean", at(4, 41)) == "alert opened (upstream recovered)"
    assert world.check("c_features", at(4, 51)) == "attached to b_clean"
    world.deliver()
    assert len(world.own_roots("b_clean")) == 1
    assert world.own_roots("c_features") == []  # never paged: its upstream is the problem
    alerts = world.alerts()
    assert alerts["c_features"].caused_by_alert_id == alerts["b_clean"].id
    assert "`c_features`" in world.thread("b_clean")


def test_diamond_downstream_joins_the_one_open_root(world: World) -> None:
    world.sweep(at(2, 31))
    world.sweep(at(3, 31))  # b_clean and d_side both fold into a_raw
    assert world.check("e_model", at(5, 31)) == "attached to a_raw"
    world.deliver()
    assert [n for n in GRAPH if world.own_roots(n)] == ["a_raw"]
    alerts = world.alerts()
    assert {alerts[n].caused_by_alert_id for n in ("b_clean", "d_side", "e_model")} == {
        alerts["a_raw"].id
    }


def test_a_chain_longer_than_ten_assets_still_folds(tmp_path: Path, database_url: str) -> None:
    names = [f"s{i:02d}" for i in range(14)]
    files = {
        "teams.yaml": "teams:\n"
        + "".join(
            f'  - {{id: t_{n}, name: T {n}, slack: {{oncall_channel: "#{n}"}}}}\n' for n in names
        )
        + "assets:\n"
        + "".join(
            f"  - {{id: {n}, kind: table, owner: t_{n}"
            + (f", upstream: [{names[i - 1]}]" if i else "")
            + "}\n"
            for i, n in enumerate(names)
        )
    }
    for i, n in enumerate(names):
        files[f"{n}.yaml"] = (
            f"data_source: {n}\nowner_team: t_{n}\n"
            f'sla: {{update_frequency: daily, update_time: "{i:02d}:00 UTC", '
            'max_delay: "30 minutes"}\n'
            f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {n}, "
            "timestamp_column: updated_at}}\n"
        )
    clock = Clock(at(0, 31))
    with (
        FakeSlack() as slack,
        running(write_registry(tmp_path / "r", files), database_url, slack, clock,
                probe_timeout=20) as services,
    ):
        tables = worlds.create_load_tables(services.engine, names)
        with services.engine.begin() as conn:
            for table in tables.values():
                conn.execute(table.insert().values(updated_at=YESTERDAY))
        services.freshness.check([names[0]])
        clock.now = at(13, 31)
        services.freshness.check(names[1:])
        worlds.deliver(services, clock)
        assert [r["channel"] for r in worlds.roots(slack)] == ["#s00"]


# ---------------------------------------------------------------- a downstream late first
def late_since_yesterday_then_upstream_breaks(world: World) -> None:
    """a_raw and b_clean were on time on the 25th; c_features has been late since the 25th
    04:30. On the 26th a_raw breaks (02:30) and is found late in the same check round."""
    world.load("a_raw", at(1, 50))
    world.load("b_clean", at(2, 50))


def test_a_downstream_late_before_its_upstream_broke_gets_its_own_root_in_a_sweep(
    world: World,
) -> None:
    late_since_yesterday_then_upstream_breaks(world)
    world.sweep(at(24 + 2, 31))  # the first sweep (demarc just started, as in the demo)
    world.deliver()
    alerts = world.alerts()
    assert alerts["c_features"].caused_by_alert_id is None
    [own] = world.own_roots("c_features")
    assert f"<@{user('c_features')}>" in blocks_text(own)  # its on-call is told now
    assert "c_features" not in world.thread("a_raw")


def test_a_downstream_late_before_its_upstream_broke_gets_its_own_root_in_single_checks(
    world: World,
) -> None:
    late_since_yesterday_then_upstream_breaks(world)
    world.check("a_raw", at(24 + 2, 31))
    assert world.check("c_features", at(24 + 2, 31)) == "alert opened"
    world.deliver()
    assert len(world.own_roots("c_features")) == 1
    # its next period's breach (deadline 26th 04:30, after a_raw broke) is a_raw's doing
    assert world.check("c_features", at(24 + 4, 31)) == "attached to a_raw"


def test_a_late_upstream_period_does_not_take_a_downstream_that_broke_earlier(
    world: World,
) -> None:
    """Same deadline order with the upstream found late first, by a later sweep."""
    late_since_yesterday_then_upstream_breaks(world)
    world.sweep(at(4, 31))  # the 25th: c_features late, nothing upstream late
    world.sweep(at(24 + 2, 31))  # the 26th: a_raw breaks; c_features' 25th breach is its own
    world.deliver()
    assert world.alerts()["c_features"].caused_by_alert_id is None
    assert len(world.own_roots("c_features")) == 1


# ---------------------------------------------------------------- folding is immediate
def test_single_checks_list_each_downstream_under_the_root_in_the_check_that_finds_it(
    world: World,
) -> None:
    world.check("a_raw", at(2, 31))
    world.check("b_clean", at(3, 31))  # an edit of a_raw's root is now queued
    world.check("d_side", at(3, 31))  # found late while that edit is still queued
    world.deliver()
    edits = world.updates()
    assert "`d_side`" in blocks_text(edits[-1])
    assert "`b_clean`" in blocks_text(edits[-1])
    thread = world.thread("a_raw")
    assert "`b_clean`" in thread
    assert "`d_side`" in thread


def test_a_sweep_lists_a_new_downstream_even_when_it_also_edits_the_root(world: World) -> None:
    world.sweep(at(2, 31))
    world.sweep(at(3, 31))  # a_raw's re-check edits its root ("over 1 h") in this sweep too
    world.deliver()
    assert "`b_clean`" in blocks_text(world.updates()[-1])
    assert "`b_clean`" in world.thread("a_raw")
    assert "`d_side`" in world.thread("a_raw")


def test_a_promoted_root_shows_what_the_promoting_check_saw(world: World) -> None:
    world.check("a_raw", at(2, 31))
    world.check("b_clean", at(3, 31))
    world.load("a_raw", at(4, 20))
    world.check("a_raw", at(4, 21))
    world.check("b_clean", at(4, 41))  # a_raw settled: b_clean's own root, from this check
    world.deliver()
    [own] = world.own_roots("b_clean")
    text = blocks_text(own)
    assert "Late since 03:30 UTC (over 1 h)." in text
    assert "As of 04:41 UTC" in text
    assert own["text"] == "b_clean is late since 03:30 UTC (over 1 h)"
    assert "its owner Team B_CLEAN has been alerted" in world.thread("a_raw")
