"""A still-late upstream with contracts downstream stays in the sweep's batch: its downstream
warnings and a missed ETA's re-page are followed up for the whole sweep at once
(`bot.freshness.predict_batch`), posting what the per-contract path posts, once (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.db.models import Alert, OutboxMessage
from bot.freshness import quiet as Q
from bot.freshness.etas import give_eta
from tests.fakes.fake_slack import FakeSlack
from tests.integration import worlds
from tests.integration.test_predicted import DOWN, FILES, LAG, World, at
from tests.integration.worlds import Clock, running, write_registry

UPSTREAM = "customer_master_db"


def _world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """Four days of history (churn_features lands 1 h 50 after its upstream, twice seen
    waiting for it: the follow lag), then the upstream late from 02:31."""
    registry = write_registry(tmp_path / "registry", FILES)
    clock = Clock(at(0, day=-4))
    with FakeSlack() as slack, running(registry, database_url, slack, clock) as services:
        w = World(services, slack, clock)
        w.tables = worlds.create_load_tables(services.engine, [UPSTREAM, "churn_features"])
        w.load(UPSTREAM, at(0, 20, -5))
        w.load("churn_features", at(2, 10, -5))
        for day, up in ((-4, at(0, 20)), (-3, at(0, 20)), (-2, at(2, 20)), (-1, at(2, 20))):
            w.load(UPSTREAM, up + timedelta(days=day))
            w.sweep(up + timedelta(days=day, minutes=5))
            down = up + LAG + timedelta(days=day)
            w.load("churn_features", down)
            w.sweep(down + timedelta(minutes=5))
        w.sweep(at(2, 31))  # the upstream turns late: its alert opens (per contract)
        assert w.posts(DOWN) == []
        yield w


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    yield from _world(database_url, tmp_path)


def _one_by_one(world: World) -> list[str]:
    """The contracts the sweeps from now on record through the per-contract path."""
    service = world.services.freshness
    original = service.apply
    applied: list[str] = []

    def apply(*args: Any, **kw: Any) -> Any:
        applied.append(args[1].id)
        return original(*args, **kw)

    service.apply = apply  # type: ignore[method-assign]
    return applied


def _statements(world: World) -> list[str]:
    found: list[str] = []

    @event.listens_for(world.services.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        found.append(statement)

    return found


def test_a_still_late_upstream_takes_the_batch_and_warns_its_downstream_once(
    world: World,
) -> None:
    applied = _one_by_one(world)
    statements = _statements(world)
    world.sweep(at(3, 0))  # 03:00 + 1 h 50 = 04:50, past 04:45: the warning
    warned_at = len(statements)
    world.sweep(at(3, 10))
    world.sweep(at(3, 20))
    assert applied == []  # still late, nothing shown changes: no per-contract path
    (warning,) = world.posts(DOWN)
    assert "`churn_features` will likely miss 04:45 UTC" in warning["text"]
    assert "`customer_master_db` is 30 min late" in warning["text"]
    assert "<@U0DANAKOW>" in warning["text"]
    # one ETA query per sweep for every still-late check, not per contract; the sweep that
    # warns writes the warning and its message, the others nothing of the kind
    etas = [s for s in statements if "FROM etas" in s]
    assert len(etas) == 3
    later = statements[warned_at:]
    assert not [s for s in later if s.startswith("INSERT INTO alerts")]
    quiet = [s for s in later if "outbox" not in s]  # the outbox's deliveries aside
    assert len(quiet) <= 2 * 12, quiet  # two sweeps of two contracts: a dozen statements each


def test_a_missed_eta_of_a_still_late_upstream_re_pages_once_from_the_batch(
    world: World,
) -> None:
    world.sweep(at(3, 0))
    registry = world.services.freshness.registry()
    give_eta(world.services.engine, registry, None, at(3, 12), "U0ALICE", at(3, 5),
             contract_id=UPSTREAM)  # fmt: skip
    applied = _one_by_one(world)
    world.sweep(at(3, 10))  # the ETA is still ahead
    world.sweep(at(3, 20))  # it has passed: re-paged (the root still reads the same)
    world.sweep(at(3, 25))  # once
    assert applied == []
    pages = [p["text"] for p in world.posts() if "has passed" in p["text"]]  # in its thread
    assert len(pages) == 1
    assert pages[0].startswith(":rotating_light: <@U0ALICE>: the ETA 03:12 UTC")
    assert len(world.posts(DOWN)) == 1  # the warning, moved by the ETA, never posted again


def _sweeps(world: World) -> dict[str, Any]:
    """A morning of an upstream late, an ETA that moves the warning, then missed: what the
    database holds and Slack got after."""
    registry = world.services.freshness.registry()
    world.sweep(at(3, 0))
    world.sweep(at(3, 10))
    give_eta(world.services.engine, registry, None, at(4, 0), "U0ALICE", at(3, 15),
             contract_id=UPSTREAM)  # fmt: skip
    world.sweep(at(3, 20))
    give_eta(world.services.engine, registry, None, at(3, 35), "U0ALICE", at(3, 25),
             contract_id=UPSTREAM)  # fmt: skip
    world.sweep(at(3, 30))
    world.sweep(at(3, 40))
    world.sweep(at(3, 50))
    with Session(world.services.engine) as session:
        alerts = sorted(
            (a.contract_id, a.period_key, a.kind, a.status, a.channel, a.last_update, a.affected)
            for a in session.scalars(select(Alert))
        )
        outbox = sorted(
            (m.method, m.channel, str(m.payload)) for m in session.scalars(select(OutboxMessage))
        )
    posts = [
        {k: v for k, v in p.items() if k not in ("ts", "thread_ts")}  # delivery times aside
        for p in world.posts()
    ]
    return {"alerts": alerts, "outbox": outbox, "posts": posts}


def test_the_batch_posts_what_the_per_contract_path_posts(
    database_url: str, reference_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for w in _world(database_url, tmp_path / "batch"):
        batched = _sweeps(w)
    monkeypatch.setattr(Q, "record_quiet", lambda *a, **k: Q.Recorded())  # all per-contract
    for w in _world(reference_url, tmp_path / "reference"):
        reference = _sweeps(w)
    assert any("has passed" in p["text"] for p in batched["posts"])
    assert sum(1 for a in batched["alerts"] if a[2] == "predicted") == 1
    assert batched == reference


def test_the_batch_probes_a_downstream_before_warning_it(world: World) -> None:
    """churn_features' data came in after its last check: the still-late upstream's batched
    follow-up probes it before the first warning and says nothing (as the per-contract path)."""
    applied = _one_by_one(world)
    world.load("churn_features", at(2, 40))  # counts for today (due 04:15), not yet checked
    world.clock.now = at(3, 0)
    world.services.freshness.check([UPSTREAM])  # 03:00 + 1 h 50 = 04:50, past 04:45
    world.deliver()
    assert applied == []  # the upstream took the batch
    assert world.posts(DOWN) == []
