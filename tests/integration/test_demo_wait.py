"""`/wait N` in `demarc demo` runs every freshness check that fell due while the clock moved,
at its due time, as the scheduler would: `/status` never shows a next check in the past."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import CheckResult, ContractStatus
from bot.demo.shell import handle_line
from bot.demo.world import DemoWorld, build_world
from tests.conftest import EXAMPLE_REGISTRY


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    demo = build_world(EXAMPLE_REGISTRY, io.StringIO(), directory=tmp_path)
    try:
        yield demo
    finally:
        demo.close()


def statuses(world: DemoWorld) -> list[ContractStatus]:
    with Session(world.services.engine) as session:
        return list(session.scalars(select(ContractStatus)))


def checks_of(world: DemoWorld, contract_id: str) -> list[datetime]:
    with Session(world.services.engine) as session:
        return list(session.scalars(
            select(CheckResult.checked_at)
            .where(CheckResult.contract_id == contract_id)
            .order_by(CheckResult.checked_at)
        ))


def test_wait_runs_the_checks_that_fell_due_at_their_time(world: DemoWorld) -> None:
    handle_line(world, "/check")
    start = world.clock()
    [late] = [s for s in statuses(world) if s.contract_id == "customer_master_db"]
    assert late.state == "late"
    reply = handle_line(world, "/wait 60")
    assert reply is not None
    assert "Freshness checks run:" in reply
    now = world.clock()
    assert now >= start + timedelta(minutes=60)
    for status in statuses(world):  # nothing overdue on the demo clock
        assert status.next_check_at is not None
        assert status.next_check_at > now - timedelta(seconds=5), status.contract_id
    # The late contract was re-checked every 10 minutes on the way, not once at the end.
    rechecks = [at for at in checks_of(world, "customer_master_db") if at > start]
    assert len(rechecks) >= 6
    gaps = [b - a for a, b in itertools.pairwise(rechecks)]
    assert all(timedelta(minutes=9) < gap < timedelta(minutes=11) for gap in gaps), gaps
    status_text = handle_line(world, "/status")
    assert status_text is not None
    for line in status_text.splitlines()[2:]:
        stamps = [cell for cell in line.split("  ") if cell.strip().endswith(" UTC")]
        next_at = datetime.strptime(stamps[-1].strip(), "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
        assert next_at >= now.replace(second=0, microsecond=0), line
