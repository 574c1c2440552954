"""Run Alembic migrations programmatically (`demarc db upgrade`, and at `serve`/`demo` start).

Several replicas may start at once on a fresh database: upgrades are serialised, so exactly
one applies each revision and the others find the schema at head. PostgreSQL: a session-level
advisory lock (a fixed key, plus the schema, so separate schemas do not wait on each other),
held on the very connection Alembic migrates with. SQLite: an exclusive lock on a file beside
the database.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

import migrations
from bot.db.engine import make_engine

SCRIPT_LOCATION = Path(migrations.__file__).resolve().parent
MIGRATION_LOCK_KEY = 0x64656D61  # "dema": the advisory lock class of demarc's migrations


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection  # migrations/env.py migrates on it
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply every migration; "heads" because feature branches of revisions may coexist."""
    with migration_lock(url) as connection:
        command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, revision: str) -> None:
    with migration_lock(url) as connection:
        command.downgrade(alembic_config(url, connection), revision)


@contextmanager
def migration_lock(url: str) -> Iterator[Connection | None]:
    """Hold the migration lock; on PostgreSQL, yield the connection that holds it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with _file_lock(parsed.database):
            yield None
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            key = "SELECT pg_advisory_lock(:key, hashtext(current_schema()))"
            connection.execute(text(key), {"key": MIGRATION_LOCK_KEY})
            connection.commit()  # a session-level lock outlives the transaction
            try:
                yield connection
            finally:
                connection.rollback()  # whatever a failed migration left open
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"),
                    {"key": MIGRATION_LOCK_KEY},
                )
                connection.commit()
    finally:
        engine.dispose()


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if database in (None, "", ":memory:") or str(database).startswith("file:"):
        yield  # private to this process: nobody to race
        return
    lock_path = Path(f"{database}.migrate-lock")
    if not lock_path.parent.is_dir():
        yield  # no database can be there either: SQLite's own error names it
        return
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
