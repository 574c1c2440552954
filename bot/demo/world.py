"""The `demarc demo` world: the example registry, an embedded SQLite database and a SQLite
"warehouse" whose tables make some contracts on time and others late, on a demo clock.

The demo clock runs at real speed but is set back so that it reads 17 minutes past the
deadline of the first late contract: the newcomer sees a late-data alert within seconds
whatever the time of day.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, Table, create_engine, select
from sqlalchemy.orm import Session

from bot.bootstrap import Services, build
from bot.db.models import ContractStatus
from bot.demo.terminal_slack import TerminalSlack
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from ownership.model import Contract, Registry, SqlProbe
from ownership.sla import period_at, previous_period

# The late ones. churn_features derives from customer_master_db but has been late since
# yesterday, before customer_master_db broke (17 min ago): it is its own problem, its own root.
LATE = ("customer_master_db", "churn_features")
PAST_DEADLINE = timedelta(minutes=17)


@dataclass
class DemoWorld:
    services: Services
    warehouse: Engine
    tables: dict[str, Table]
    clock: Callable[[], datetime]
    directory: Path
    actor: str | None = None  # whose Slack id the shell acts as (`/as`); None: the default

    def load(self, contract: Contract) -> datetime:
        """Data arrives for `contract` now (on the demo clock)."""
        now = self.clock()
        with self.warehouse.begin() as conn:
            conn.execute(self.tables[contract.id].insert().values(ts=now))
        return now

    owns_directory: bool = False

    def close(self) -> None:
        self.services.close()
        self.warehouse.dispose()
        if self.owns_directory:  # a temporary world: leave nothing behind
            shutil.rmtree(self.directory, ignore_errors=True)


class DemoClock:
    """Real time minus an offset; `skip` moves it on (the demo's `/wait` for timers)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.offset

    def skip(self, delta: timedelta) -> None:
        self.offset -= delta


def demo_clock(registry: Registry) -> DemoClock:
    contract = registry.contracts.get(LATE[0])
    if contract is None or contract.sla is None:
        return DemoClock()
    real = datetime.now(UTC)
    period = period_at(contract.sla, real)
    target = period.deadline + PAST_DEADLINE
    if target > real:
        target = previous_period(contract.sla, period).deadline + PAST_DEADLINE
    return DemoClock(real - target)


def seed_time(contract: Contract, now: datetime) -> datetime:
    """Late contracts: before their period's window; the others: an early, on-time load."""
    late = contract.id in LATE
    if contract.sla is not None:
        period = period_at(contract.sla, now)
        if late:
            return period.window_start - timedelta(hours=2)
        return max(period.window_start, period.expected - timedelta(minutes=5))
    if contract.freshness is not None and late:
        limit = contract.freshness.error_after or contract.freshness.warn_after
        return now - (limit or timedelta(days=1)) - timedelta(hours=1)
    return now - timedelta(minutes=10)


def build_world(registry_path: Path, out: TextIO, directory: Path | None = None) -> DemoWorld:
    owns_directory = directory is None
    directory = directory or Path(tempfile.mkdtemp(prefix="demarc-demo-"))
    holder = RegistryHolder.from_path(registry_path)
    clock = demo_clock(holder.registry)
    warehouse_url = f"sqlite:///{directory / 'warehouse.sqlite3'}"
    warehouse = create_engine(warehouse_url)
    meta = MetaData()
    tables: dict[str, Table] = {}
    for contract in holder.registry.contracts.values():
        probe = contract.probe
        if isinstance(probe, SqlProbe) and probe.connection == "WAREHOUSE_URL":
            tables[contract.id] = Table(
                probe.table,
                meta,
                Column("id", Integer, primary_key=True),
                Column(probe.timestamp_column, DateTime(timezone=True), key="ts"),
            )
    meta.create_all(warehouse)
    now = clock()
    with warehouse.begin() as conn:
        for contract_id, table in tables.items():
            contract = holder.registry.contracts[contract_id]
            conn.execute(table.insert().values(ts=seed_time(contract, now)))
    client = TerminalSlack(lambda: holder.registry, out)
    settings = Settings(
        slack_bot_token="",
        slack_signing_secret="",
        registry_path=registry_path,
        database_url=f"sqlite:///{directory / 'demarc.sqlite3'}",
    )
    services = build(
        settings,
        slack_client=client,  # type: ignore[arg-type]
        environ={"WAREHOUSE_URL": warehouse_url},
        clock=clock,
        holder=holder,
        per_channel_interval=timedelta(0),  # the terminal has no rate limits
    )
    return DemoWorld(services, warehouse, tables, clock, directory, owns_directory=owns_directory)


def run_due_checks(
    world: DemoWorld, until: datetime, on_step: Callable[[], object] = lambda: None
) -> int:
    """Move the demo clock on to `until`, running every freshness check that falls due on the
    way at its own due time, in order, and delivering its messages: what the scheduler does
    while time passes. `on_step` runs at each stop too (the incident timers). Returns how many
    checks ran."""
    skip = getattr(world.clock, "skip", None)
    service = world.services.freshness
    ran = 0
    for _ in range(10_000):  # every check moves its next one >= 1 s on: this ends long before
        registry = world.services.holder.registry
        with Session(world.services.engine) as session:
            rows = session.execute(select(ContractStatus.contract_id, ContractStatus.next_check_at))
            due_at = dict(rows.all())  # a Result has keys(): dict() would take it for a mapping
        now = world.clock()
        times = {
            cid: due_at.get(cid) or now for cid, c in registry.contracts.items() if c.probe
        }
        first = min((at for at in times.values() if at <= until), default=None)
        if first is None:
            break
        if first > now and skip is not None:
            skip(first - now)
        now = world.clock()
        ids = [cid for cid, at in times.items() if at <= now]
        ran += len(service.check(ids))
        on_step()
        deliver_all(world)
    if skip is not None and until > world.clock():
        skip(until - world.clock())
    return ran


def deliver_all(world: DemoWorld, rounds: int = 20) -> None:
    for _ in range(rounds):
        if world.services.outbox.deliver_due() == 0:
            return
