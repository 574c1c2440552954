"""Only the checks that change something take the per-contract path: still late, still failing
and on time are recorded in the sweep's batch, with the same alerts, messages and rows as the
per-contract path writes; the scheduler's batches claim in one transaction and stay fenced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.bootstrap import Services
from bot.db.claims import claim_checks
from bot.db.clock import db_now
from bot.db.models import Alert, CheckResult, ContractStatus, OutboxMessage, Replica
from bot.freshness import quiet as Q
from tests.fakes.fake_slack import FakeSlack
from tests.integration.worlds import (
    TEAMS_ON_CALL,
    Clock,
    create_load_tables,
    running,
    write_registry,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
UPSTREAM = {"d1": "src", "d2": "src"}
NAMES = ["src", "d1", "d2", "solo", "gone", "ok1", "ok2", "ok3"]
AGES = {"src": 5, "d1": 4, "d2": 4, "solo": 5}  # hours; the others are fresh, "gone" has no table


def _registry(tmp_path: Path) -> Path:
    assets = "assets:\n"
    for n in NAMES:
        up = f", upstream: [{UPSTREAM[n]}]" if n in UPSTREAM else ""
        assets += f"  - {{id: {n}, kind: table, owner: data_engineering{up}}}\n"
    files = {"teams.yaml": TEAMS_ON_CALL + assets}
    for n in NAMES:
        files[f"contracts/{n}.yaml"] = (
            f"data_source: {n}\nowner_team: data_engineering\nconsumer_teams: [mlops_churn]\n"
            "freshness: {warn_after: 1 hour, error_after: 2 hours}\n"
            f"probe: {{sql: {{connection: WAREHOUSE_URL, table: {n}, "
            "timestamp_column: updated_at}}\n"
        )
    return write_registry(tmp_path / "registry", files)


def _load(services: Services) -> dict[str, Any]:
    tables = create_load_tables(services.engine, [n for n in NAMES if n != "gone"])
    with services.engine.begin() as conn:
        for n, table in tables.items():
            age = timedelta(hours=AGES.get(n, 0), minutes=10)
            conn.execute(table.insert().values(updated_at=NOW - age))
    return tables


Step = tuple[dict[str, float], Callable[[Services, dict[str, Any], Clock], None] | None]

STEPS: list[Step] = [
    ({}, None),  # src, solo: roots; d1, d2: under src; gone: a first failure
    ({"seconds": 20}, None),  # nothing shown changes (gone: 2 failures, below the threshold)
    ({"seconds": 20}, None),  # gone: 3 failures, its check-failed alert
    ({"seconds": 20}, None),  # gone still failing, alerted: nothing to say
    ({"hours": 3}, None),  # every root's lateness moves: edits
    ({"seconds": 20}, None),
    (
        {"minutes": 1},
        lambda s, t, c: _insert(s, t["src"], c.now),  # src recovers; d1, d2 wait for a rerun
    ),
    ({"seconds": 20}, None),
    ({"minutes": 11}, None),  # src settled: d1, d2 get roots of their own
    ({"seconds": 20}, None),
]
QUIET_STEPS = {1, 3, 5, 7, 9}  # nothing anyone sees changes: no per-contract path at all


def _insert(services: Services, table: Any, at: datetime) -> None:
    with services.engine.begin() as conn:
        conn.execute(table.insert().values(updated_at=at))


def _run(url: str, registry: Path) -> tuple[list[Any], dict[str, Any], list[int]]:
    """The steps on a fresh database: each sweep's reports, what the database holds after,
    and how many checks took the per-contract path in each sweep."""
    clock = Clock(NOW)
    with FakeSlack() as slack, running(registry, url, slack, clock) as services:
        tables = _load(services)
        service = services.freshness
        applied: list[int] = []
        own.clear()
        original = service.apply

        def apply(*args: Any, **kw: Any) -> Any:
            applied[-1] += 1
            own.setdefault(len(applied) - 1, []).append(args[1].id)
            return original(*args, **kw)

        service.apply = apply  # type: ignore[method-assign]
        reports = []
        for advance, act in STEPS:
            clock.advance(**advance)
            if act is not None:
                act(services, tables, clock)
            applied.append(0)
            reports.append(
                sorted(
                    (r.contract.id, r.evaluation.state.value, r.next_check_at, r.action)
                    for r in service.check()
                )
            )
        return reports, _contents(services), applied


own: dict[int, list[str]] = {}  # step → contracts the last _run checked one by one


def _contents(services: Services) -> dict[str, Any]:
    with Session(services.engine) as session:
        alerts = [
            (
                a.id,
                a.contract_id,
                a.period_key,
                a.kind,
                a.status,
                a.channel,
                a.late_by_seconds,
                a.last_update,
                a.checked_at,
                a.recovered_at,
                a.affected,
                a.caused_by_alert_id,
                a.root_digest,
            )
            for a in session.scalars(select(Alert).order_by(Alert.id))
        ]
        outbox = [
            (m.method, m.channel, m.root_key, m.payload, m.priority, m.status)
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        checks = [
            (
                c.contract_id,
                c.checked_at,
                c.state,
                c.period_key,
                c.last_update,
                c.late_by_seconds,
                c.error,
            )
            for c in session.scalars(
                select(CheckResult).order_by(CheckResult.contract_id, CheckResult.checked_at)
            )
        ]
        statuses = [
            (
                s.contract_id,
                s.state,
                s.period_key,
                s.checked_at,
                s.next_check_at,
                s.last_update,
                s.consecutive_failures,
                s.failure_alerted,
                s.last_error,
            )
            for s in session.scalars(select(ContractStatus).order_by(ContractStatus.contract_id))
        ]
    return {"alerts": alerts, "outbox": outbox, "checks": checks, "statuses": statuses}


def test_only_changes_take_the_per_contract_path_and_alert_as_it_would(
    database_url: str, reference_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = _registry(tmp_path)
    reports, contents, applied = _run(database_url, registry)
    first_own = {step: list(ids) for step, ids in own.items()}
    monkeypatch.setattr(Q, "record_quiet", lambda *a, **k: Q.Recorded())  # all per-contract
    ref_reports, ref_contents, ref_applied = _run(reference_url, registry)

    assert ref_applied == [len(NAMES)] * len(STEPS)  # the reference really is per-contract
    # In the quiet steps nothing takes the per-contract path, src neither while it is late:
    # its downstream predictions follow in the batch (`bot.freshness.predict_batch`).
    quiet_own = {i: first_own.get(i, []) for i in sorted(QUIET_STEPS)}
    assert all(ids == [] for ids in quiet_own.values()), quiet_own
    assert applied[0] == 4  # four new alerts; gone's first failure alerts nobody yet
    assert reports == ref_reports
    for part in ("alerts", "outbox", "checks", "statuses"):
        assert contents[part] == ref_contents[part], part
    # the scenario is what it says: still-late rows were refreshed in the batch
    kinds = {(a[1], a[3], a[4]) for a in contents["alerts"]}
    assert ("gone", "check_failed", "open") in kinds
    assert ("src", "late", "recovered") in kinds
    by_contract = {a[1]: a for a in contents["alerts"] if a[3] == "late"}
    assert by_contract["d1"][11] is None  # promoted once src settled
    assert {r[3] for r in reports[1]} >= {"still late"}


# ---------------------------------------------------------------------- claims and fencing
@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Services, Clock]]:
    clock = Clock(NOW)
    with FakeSlack() as slack, running(_registry(tmp_path), database_url, slack, clock) as s:
        _load(s)
        yield s, clock


def _claims(services: Services) -> dict[str, tuple[str | None, str | None]]:
    with Session(services.engine) as session:
        return {
            s.contract_id: (s.claimed_by, s.claim_token)
            for s in session.scalars(select(ContractStatus))
        }


def test_a_batch_claim_takes_only_due_free_checks(world: tuple[Services, Clock]) -> None:
    services, clock = world
    engine = services.engine
    services.freshness.check()  # every status exists
    lease = timedelta(minutes=2)
    with Session(engine) as session, session.begin():
        session.execute(update(ContractStatus).values(next_check_at=None))
        session.execute(  # held by a live replica (no heartbeat row: only expiry frees it)
            update(ContractStatus)
            .where(ContractStatus.contract_id == "solo")
            .values(claimed_by="other", claim_token="t-other", claim_until=db_now(engine, lease))
        )
        session.execute(  # held by a replica whose heartbeat stopped long ago
            update(ContractStatus)
            .where(ContractStatus.contract_id == "ok2")
            .values(claimed_by="dead", claim_token="t-dead", claim_until=db_now(engine, lease))
        )
        session.add(
            Replica(
                id="dead", host="h", pid=1, started_at=NOW, heartbeat_at=NOW - timedelta(days=1)
            )
        )
        session.execute(  # not due yet
            update(ContractStatus)
            .where(ContractStatus.contract_id == "ok1")
            .values(next_check_at=clock.now + timedelta(minutes=5))
        )
    won = claim_checks(engine, [*NAMES, "brand_new"], "me", clock.now, lease)
    assert list(won) == [n for n in [*NAMES, "brand_new"] if n not in ("solo", "ok1")]
    assert len(set(won.values())) == 1  # one token for the batch
    held = _claims(services)
    assert held["solo"] == ("other", "t-other")
    assert held["ok1"] == (None, None)
    assert held["ok2"] == ("me", won["ok2"])
    assert held["brand_new"] == ("me", won["brand_new"])
    assert claim_checks(engine, NAMES, "third", clock.now, lease) == {}  # all taken now


def test_a_check_taken_over_during_the_batch_is_dropped_unwritten(
    world: tuple[Services, Clock],
) -> None:
    """The claims are confirmed in the transaction that records: a quiet check (ok3) and a
    late one (src, per-contract path) whose claims another replica took while they were being
    probed write nothing; the others are recorded and their claims end."""
    services, _ = world
    service = services.freshness
    probe_many = service.probe_many

    def steal_while_probing(jobs: list[Any]) -> Any:
        with Session(services.engine) as session, session.begin():
            session.execute(
                update(ContractStatus)
                .where(ContractStatus.contract_id.in_(["ok3", "src"]))
                .values(claimed_by="thief", claim_token="stolen")
            )
        return probe_many(jobs)

    service.probe_many = steal_while_probing
    reports = service.check_claimed_many(NAMES, "me", timedelta(minutes=2))
    assert sorted(r.contract.id for r in reports) == sorted(set(NAMES) - {"ok3", "src"})
    with Session(services.engine) as session:
        checked = set(session.scalars(select(CheckResult.contract_id)))
        alerted = set(session.scalars(select(Alert.contract_id)))
    assert checked == set(NAMES) - {"ok3", "src"}
    assert "src" not in alerted
    assert "solo" in alerted
    held = _claims(services)
    assert held["ok3"] == ("thief", "stolen")
    assert held["src"] == ("thief", "stolen")
    assert all(held[n] == (None, None) for n in checked)
    assert service.check_claimed_many(NAMES, "me", timedelta(minutes=2)) == []  # none due now
