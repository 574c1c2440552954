"""PostgreSQL probes through psycopg 3 directly, for `postgresql://` and `postgresql+psycopg://`.

SQLAlchemy gave these probes nothing but URL parsing, a pool, identifier quoting and error
classes, and importing it costs a `demarc check` about 0.3 s more than psycopg itself. Here:
* sessions as before: autocommit, libpq `options` = the URL's own plus `statement_timeout` and
  `default_transaction_read_only=on`, `connect_timeout` and `application_name=demarc-probe`
  unless the URL gives them; so a probe is one round trip (no BEGIN, no pre-ping);
* a small pool per URL: `size` idle connections kept, at most `size + OVERFLOW` open, each
  recycled after `RECYCLE_SECONDS`; a dead one (server restart, idle timeout) is discarded
  with the idle ones (as SQLAlchemy invalidates its pool) and the read, which changes
  nothing, tried once more on a new connection;
* identifiers always double-quoted, the PostgreSQL rule (SQLAlchemy quoted all but lower-case
  plain names, for which quoted and unquoted are the same name);
* statements run without parameters, so psycopg reads a "%" in a filter literally.
Imported only when a PostgreSQL probe first runs (`bot.probes.sql`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from bot.probes.pg_url import PgUrl
from bot.probes.runner import format_seconds, one_line

RECYCLE_SECONDS = 1800.0
OVERFLOW = 2  # connections open beyond `size` while every idle one is in use
QUERY_CANCELED = "57014"  # the statement timeout fired
observers: list[Callable[[str], None]] = []  # called with each statement before it is sent

Conn = psycopg.Connection[tuple[Any, ...]]


class ConnectFailed(Exception):
    """No connection could be opened; `__cause__` is psycopg's error."""


def quote(name: str) -> str:
    """`name` as a PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def session_kwargs(url: PgUrl, statement_timeout: float, connect_timeout: float) -> dict[str, str]:
    """libpq keywords of a probe session: the URL's, its `options` kept (e.g. a search_path)."""
    kwargs = url.connect_kwargs()
    kwargs.setdefault("connect_timeout", str(max(1, math.ceil(connect_timeout))))
    kwargs.setdefault("application_name", "demarc-probe")
    millis = max(1, int(statement_timeout * 1000))
    session = f"-c statement_timeout={millis} -c default_transaction_read_only=on"
    kwargs["options"] = f"{kwargs.get('options', '')} {session}".strip()
    return kwargs


class PgPool:
    """Connections to one URL, shared by threads; `clock` dates them for recycling."""

    def __init__(
        self,
        url: PgUrl,
        *,
        size: int,
        statement_timeout: float,
        connect_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kwargs = session_kwargs(url, statement_timeout, connect_timeout)
        self._clock = clock
        self._size = max(1, size)
        self._wait = statement_timeout  # for a free connection, as long as for a statement
        self._slots = threading.BoundedSemaphore(self._size + OVERFLOW)
        self._idle: list[tuple[float, Conn]] = []  # (opened at, connection), newest last
        self._lock = threading.Lock()
        self._closed = False

    def fetch_one(self, sql: str) -> tuple[Any, ...]:
        """The first row of `sql`; ConnectFailed when no connection opens."""
        for retry in (True, False):
            opened, conn = self._checkout()
            try:
                for observe in observers:
                    observe(sql)
                with conn.execute(sql) as cursor:
                    return cursor.fetchone() or ()
            except psycopg.Error:
                if not (retry and (conn.closed or conn.broken)):
                    raise
                self._discard_idle()  # a server restart ended them all: try a new one
            finally:
                self._checkin(opened, conn)
        raise AssertionError("unreachable: the second attempt returns or raises")

    def close(self) -> None:
        """Close the idle connections, and the others once they come back."""
        with self._lock:
            self._closed = True
        self._discard_idle()

    def _discard_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, conn in idle:
            conn.close()

    def _checkout(self) -> tuple[float, Conn]:
        if not self._slots.acquire(timeout=self._wait):
            n = self._size + OVERFLOW
            raise TimeoutError(f"all {n} connections busy for {format_seconds(self._wait)}")
        try:
            while True:
                with self._lock:
                    if not self._idle:
                        break
                    opened, conn = self._idle.pop()
                if self._clock() - opened < RECYCLE_SECONDS and not conn.closed:
                    return opened, conn
                conn.close()
            try:
                conn = psycopg.connect(make_conninfo("", **self._kwargs), autocommit=True)
            except psycopg.Error as exc:
                raise ConnectFailed(str(exc)) from exc
            return self._clock(), conn
        except BaseException:
            self._slots.release()
            raise

    def _checkin(self, opened: float, conn: Conn) -> None:
        try:
            with self._lock:
                keep = (
                    not self._closed
                    and len(self._idle) < self._size
                    and not conn.closed
                    and not conn.broken
                    and conn.info.transaction_status == TransactionStatus.IDLE
                )
                if keep:
                    self._idle.append((opened, conn))
            if not keep:
                conn.close()
        finally:
            self._slots.release()


def describe(exc: Exception, statement_timeout: float) -> str:
    """A one-line description of a failure (the URL not yet redacted)."""
    if isinstance(exc, ConnectFailed):
        cause = exc.__cause__
        return f"cannot connect: {one_line(str(cause)) or type(cause).__name__}"
    if isinstance(exc, psycopg.Error):
        if exc.sqlstate == QUERY_CANCELED:
            return f"query timed out after {format_seconds(round(statement_timeout, 1))}"
        return f"database error: {one_line(str(exc)) or type(exc).__name__}"
    return f"{type(exc).__name__}: {one_line(str(exc))}"
