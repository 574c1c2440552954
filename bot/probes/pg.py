"""PostgreSQL probes straight on psycopg, for `postgresql://` and `postgresql+psycopg://` URLs.

Why not SQLAlchemy here: importing it and its PostgreSQL dialect costs ~0.2 s of every
`demarc check`, and its statement and result machinery ~0.1 ms of Python per probe, which
under the GIL is most of a sweep's time (bench/b1_freshness.py). Everything else about the
probe is the same as on the SQLAlchemy path (see `bot.probes.sql`):

* The statement is `SELECT max("col"), CURRENT_TIMESTAMP FROM "schema"."table" [WHERE filter]`.
  Identifiers are always double-quoted with `"` doubled, which PostgreSQL reads exactly as
  SQLAlchemy's quote-when-needed spelling (a lower-case name means the same either way; any
  other name is quoted by both). It is sent without parameters, so the filter's colons and
  percent signs are literal.
* Connections are pooled per URL (at most `size` idle ones), opened in autocommit with
  `statement_timeout` and `default_transaction_read_only = on` set for the session, with
  `connect_timeout` and `application_name=demarc-probe` unless the URL sets them; recycled
  after 30 minutes. A pooled connection found dead (server restart, idle timeout) drops the
  idle ones and the probe, a read, is tried once more on a fresh connection.
* Errors are one line, "cannot connect: …", "database error: …" or "query timed out after
  N s", with the URL and its password hidden in any spelling.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit, urlunsplit

from bot.probes.runner import format_seconds, one_line
from ownership.model import SqlProbe

if TYPE_CHECKING:
    import psycopg

SCHEMES = ("postgresql", "postgresql+psycopg")
QUERY_CANCELED = "57014"
RECYCLE_SECONDS = 1800.0


def conninfo_for(raw: str) -> str | None:
    """A libpq URI for a URL this module serves, else None (the SQLAlchemy path takes it)."""
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:  # pragma: no cover - psycopg is a dependency of the postgres extra
        return None
    return f"postgresql://{rest}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statement(p: SqlProbe) -> str:
    source = quote_ident(p.table)
    if p.schema:
        source = f"{quote_ident(p.schema)}.{source}"
    newest = quote_ident(p.timestamp_column)
    sql = f"SELECT max({newest}), CURRENT_TIMESTAMP FROM {source}"  # noqa: S608 - all quoted
    return f"{sql} WHERE {p.filter}" if p.filter else sql  # trusted registry config


class ConnectFailed(Exception):
    """Opening a connection failed; `__cause__` is psycopg's error."""


@dataclass
class _Slot:
    conn: psycopg.Connection[Any]
    born: float


class PgPool:
    """Autocommit, read-only, time-limited psycopg connections for one URL."""

    def __init__(
        self, conninfo: str, *, size: int, statement_timeout: float, connect_timeout: float
    ) -> None:
        try:
            given = parse_qs(urlsplit(conninfo).query)
        except ValueError:
            given = {}
        self._conninfo = conninfo
        self._kwargs: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in given:
            self._kwargs["connect_timeout"] = max(1, math.ceil(connect_timeout))
        if "application_name" not in given:
            self._kwargs["application_name"] = "demarc-probe"
        self._millis = max(1, int(statement_timeout * 1000))
        self._size = max(1, size)
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._closed = False

    def query(self, sql: str) -> tuple[Any, Any]:
        import psycopg

        for attempt in (1, 2):
            slot, reused = self._checkout()
            try:
                row = slot.conn.execute(sql).fetchone()
            except psycopg.Error:
                if not (slot.conn.broken or slot.conn.closed):
                    self._checkin(slot)
                    raise
                _close(slot)
                if not (reused and attempt == 1):
                    raise
                self._drop_idle()  # the others likely died with it
                continue
            self._checkin(slot)
            if row is None:
                raise ValueError("the probe query returned no row")
            return row[0], row[1]
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._drop_idle()

    # ------------------------------------------------------------------ internals
    def _checkout(self) -> tuple[_Slot, bool]:
        now = time.monotonic()
        while True:
            with self._lock:
                slot = self._idle.pop() if self._idle else None
            if slot is None:
                return self._connect(), False
            if slot.conn.closed or now - slot.born > RECYCLE_SECONDS:
                _close(slot)
                continue
            return slot, True

    def _checkin(self, slot: _Slot) -> None:
        import psycopg

        healthy = (
            not slot.conn.closed
            and slot.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        with self._lock:
            if healthy and not self._closed and len(self._idle) < self._size:
                self._idle.append(slot)
                return
        _close(slot)

    def _connect(self) -> _Slot:
        import psycopg

        try:
            conn = psycopg.connect(self._conninfo, **self._kwargs)
        except psycopg.Error as exc:
            raise ConnectFailed(str(exc)) from exc
        try:
            conn.execute(f"SET statement_timeout = {self._millis}")
            conn.execute("SET default_transaction_read_only = on")
        except BaseException:
            conn.close()
            raise
        return _Slot(conn, time.monotonic())

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for slot in idle:
            _close(slot)


def _close(slot: _Slot) -> None:
    with contextlib.suppress(Exception):  # closing a dead connection may complain
        slot.conn.close()


def describe(exc: Exception, timeout: float, raw: str) -> str:
    """A short, password-free, one-line description of a failure."""
    import psycopg

    if isinstance(exc, ConnectFailed):
        cause = exc.__cause__
        message = f"cannot connect: {one_line(str(exc)) or type(cause).__name__}"
    elif isinstance(exc, psycopg.Error):
        if exc.sqlstate == QUERY_CANCELED:
            return f"query timed out after {format_seconds(timeout)}"
        message = f"database error: {one_line(str(exc)) or type(exc).__name__}"
    else:
        message = f"{type(exc).__name__}: {one_line(str(exc))}"
    return redact(message, raw)


def redact(message: str, raw: str) -> str:
    """Remove the URL and its password from `message`, in whatever spelling they appear."""
    try:
        parts = urlsplit(raw)
        password = parts.password
        user, _, host = parts.netloc.rpartition("@")
        shown = (
            urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}"))
            if password is not None
            else raw
        )
    except ValueError:
        return message.replace(raw, "<the connection URL>")
    message = message.replace(raw, shown).replace(f"postgresql://{raw.partition('://')[2]}", shown)
    if password:
        plain = unquote(password)
        for spelling in (password, plain, quote_plus(plain), quote(plain, safe="")):
            if spelling:
                message = message.replace(spelling, "***")
    return message
