"""Alembic revisions create exactly the tables the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db.engine import make_engine
from bot.db.migrate import downgrade, upgrade
from bot.db.models import Base


def test_upgrade_matches_models_and_downgrade_empties(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
    upgrade(database_url)  # idempotent
    downgrade(database_url, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_revisions_form_one_line_with_one_head() -> None:
    from alembic.script import ScriptDirectory

    from bot.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, "branches must be merged (alembic merge heads)"


def test_timestamps_read_back_aware_utc_on_both_backends(engine: object) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy.orm import Session

    from bot.db.models import ProcessedEvent

    berlin = timezone(timedelta(hours=1))
    with Session(engine) as session, session.begin():  # type: ignore[call-overload]
        session.add(
            ProcessedEvent(event_id="aware", received_at=datetime(2026, 1, 5, 3, tzinfo=berlin))
        )
        session.add(ProcessedEvent(event_id="naive", received_at=datetime(2026, 1, 5, 3)))
    with Session(engine) as session:  # type: ignore[call-overload]
        got = {e.event_id: e.received_at for e in session.query(ProcessedEvent)}
    assert got["aware"] == datetime(2026, 1, 5, 2, tzinfo=UTC)  # the same instant
    assert got["aware"].utcoffset() == timedelta(0)
    assert got["naive"] == datetime(2026, 1, 5, 3, tzinfo=UTC)  # naive is taken as UTC


def _upgrade_together(url: str, barrier: object, errors: object) -> None:
    """In a child process: wait until every child is ready, then upgrade at the same time."""
    import traceback

    from bot.db.migrate import upgrade as upgrade_in_child

    barrier.wait(timeout=60)  # type: ignore[attr-defined]
    try:
        upgrade_in_child(url)
    except Exception:
        errors.put(traceback.format_exc())  # type: ignore[attr-defined]
        raise


def test_replicas_starting_together_migrate_a_fresh_schema_once(database_url: str) -> None:
    """Three `serve` processes on a fresh PostgreSQL schema once crashed with UniqueViolation
    in 2 of 3 trials: upgrades are serialised now, so every one succeeds."""
    import multiprocessing

    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from bot.db.migrate import alembic_config

    context = multiprocessing.get_context("spawn")
    processes = 4
    barrier = context.Barrier(processes)
    errors = context.Queue()
    children = [
        context.Process(target=_upgrade_together, args=(database_url, barrier, errors))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert [child.exitcode for child in children] == [0] * processes
    engine = make_engine(database_url)
    with engine.connect() as conn:
        versions = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    engine.dispose()
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert versions == [head]
