"""PostgreSQL URLs read without SQLAlchemy, as SQLAlchemy reads them, for the psycopg probes.

`postgresql://` and `postgresql+psycopg://` (SQLAlchemy's names for psycopg 3) are read with
SQLAlchemy's URL grammar: `driver://user:password@host:port/database?key=value&…`, user,
password and database percent-decoded, the query form-decoded. Not `urllib.parse.urlsplit`: it
cuts a URL at a raw "#", "/" or "?" in a password, which SQLAlchemy accepts. The URL becomes
libpq keywords as SQLAlchemy's psycopg dialect passes them (query keys such as `sslmode`,
`options` or `host=/run/postgresql` for a socket as given; `host=h1:5432&host=h2:5433` for
several hosts), and is shown in messages as SQLAlchemy renders it, the password as `***`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus, unquote

NATIVE_DRIVERS = frozenset({"postgresql", "postgresql+psycopg"})
_URL = re.compile(
    r"(?P<driver>[\w+]+)://"
    r"(?:(?P<user>[^:/]*)(?::(?P<password>[^@]*))?@)?"
    r"(?:(?:\[(?P<ipv6>[^/?]+)\]|(?P<host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?"
    r"(?:/(?P<database>[^?]*))?"
    r"(?:\?(?P<query>.*))?"
)
_HOST_PORT = re.compile(r"([a-zA-Z0-9\-.]*)(?::(\d*))?")


def is_native(raw: str) -> bool:
    """Whether the URL `raw` is probed through psycopg directly (the others: SQLAlchemy)."""
    driver, sep, _ = raw.partition("://")
    return bool(sep) and driver in NATIVE_DRIVERS


@dataclass(frozen=True, slots=True)
class PgUrl:
    """A parsed URL; `raw` is the text it was read from (redacted as well)."""

    raw: str
    driver: str
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: dict[str, list[str]] = field(default_factory=dict)

    def render(self, *, hide_password: bool = True) -> str:
        """The URL as SQLAlchemy's `URL.render_as_string` spells it."""
        s = f"{self.driver}://"
        if self.user is not None:
            s += quote(self.user, safe=" +")
            if self.password is not None:
                s += ":" + ("***" if hide_password else quote(self.password, safe=" +"))
            s += "@"
        if self.host is not None:
            s += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            s += f":{self.port}"
        if self.database is not None:
            s += "/" + quote(self.database, safe=" +/")
        if self.query:
            pairs = [(k, v) for k in sorted(self.query) for v in self.query[k]]
            s += "?" + "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
        return s

    def connect_kwargs(self) -> dict[str, str]:
        """libpq keywords: the URL's parts, then its query (the last value of a repeated key,
        but every `host`, and `options` joined by spaces)."""
        parts = {"host": self.host, "dbname": self.database, "user": self.user,
                 "password": self.password, "port": self.port}  # fmt: skip
        kwargs = {name: str(value) for name, value in parts.items() if value}
        kwargs.update((k, " ".join(v) if k == "options" else v[-1]) for k, v in self.query.items())
        hosts = self.query.get("host", [])
        single = len(hosts) == 1 and "port" not in self.query and ":" in hosts[0]
        if len(hosts) > 1 or (single and _HOST_PORT.fullmatch(hosts[0])):
            if "port" in self.query:
                raise ValueError("several host= with port= in one URL")
            pairs = [h.partition(":") for h in hosts]
            kwargs["host"] = ",".join(h for h, _, _ in pairs)
            if any(port for _, _, port in pairs):
                kwargs["port"] = ",".join(port for _, _, port in pairs)
        return kwargs

    def redact(self, message: str) -> str:
        """`message` with this URL and its password hidden, whatever their spelling."""
        return redact(
            message,
            (self.raw, self.render(hide_password=False)),
            self.render(hide_password=True),
            self.password,
        )


def parse(raw: str) -> PgUrl:
    """`raw` read as SQLAlchemy's `make_url` reads it; ValueError when it cannot be."""
    m = _URL.match(raw)
    if m is None:
        raise ValueError("not a URL")
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(m["query"] or ""):
        query.setdefault(key, []).append(value)
    user, password, database = (
        None if m[part] is None else unquote(m[part]) for part in ("user", "password", "database")
    )
    return PgUrl(
        raw=raw,
        driver=m["driver"],
        user=user,
        password=password,
        host=m["host"] or m["ipv6"] or None,
        port=int(m["port"]) if m["port"] else None,
        database=database,
        query=query,
    )


def redact(message: str, spellings: tuple[str, ...], shown: str, password: str | None) -> str:
    """`message` with each of the URL's `spellings` replaced by `shown` and the password, raw
    or percent-encoded (`quote_plus`, `quote`), by `***`."""
    for spelling in spellings:
        message = message.replace(spelling, shown)
    if password:
        for secret in (password, quote_plus(password), quote(password, safe="")):
            if secret:
                message = message.replace(secret, "***")
    return message
