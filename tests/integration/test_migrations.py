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
