"""Database fixtures: every persistence test runs on SQLite and on PostgreSQL.

PostgreSQL is found at DEMARC_TEST_POSTGRES_URL (default: the local server on 127.0.0.1:5432,
database `test`). Each test session gets its own schema, dropped at the end. Without a server
the PostgreSQL cases skip with the reason; in CI (CI=true) they fail instead, so they always run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.db.engine import make_engine

PG_URL = os.environ.get(
    "DEMARC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url() -> Iterator[str]:
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {exc}")
        pytest.skip(
            f"no PostgreSQL at {PG_URL} ({type(exc).__name__}); set "
            "DEMARC_TEST_POSTGRES_URL to run these"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'demarc.sqlite3'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema's URL, for what only PostgreSQL has."""
    yield from _postgres_schema_url()


@pytest.fixture
def reference_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database of the same backend, for the per-contract reference run."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    from bot.db.migrate import upgrade

    upgrade(database_url)
    eng = make_engine(database_url)
    yield eng
    eng.dispose()
