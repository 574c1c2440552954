"""PostgreSQL URLs read without SQLAlchemy read as SQLAlchemy reads them (its parser and its
psycopg dialect are the reference here), and are shown as it shows them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import make_url

from bot.probes import pg_url
from bot.probes.pg_native import session_kwargs

URLS = [
    "postgresql+psycopg://user:pass@host:5432/db?sslmode=require&options=-csearch_path%3Dfoo",
    "postgresql://reader:p%40ss%2Fw0rd@db.internal:5432/wh",
    "postgresql://u:pa#ss@h/db",  # raw "#", "/" and "?" in a password: urlsplit would cut
    "postgresql://u:pa/ss@h/db",
    "postgresql://u:pa?ss@h/db?sslmode=disable",
    "postgresql+psycopg:///db?host=/run/postgresql",
    "postgresql://user@/db?host=/var/run/postgresql&port=5433",
    "postgresql://u@[::1]:5432/db",
    "postgresql+psycopg://u@/db?host=a:5432&host=b:5433&host=c",
    "postgresql://u@/db?host=a:5433",
    "postgresql://u@/db?host=a,b&port=5432,5433",
    "postgresql://u:@h/db",
    "postgresql://h",
    "postgresql://user name:p%20w+x@h/d%2Fb",
    "postgresql+psycopg://u:pw@h:5432/db?options=-c%20a%3D1&options=-c%20b%3D2",
]


def reference_kwargs(raw: str) -> dict[str, str]:
    dialect = PGDialect_psycopg()  # type: ignore[no-untyped-call]
    _, params = dialect.create_connect_args(make_url(raw))  # type: ignore[no-untyped-call]
    return {k: str(v) for k, v in params.items() if k not in ("context", "client_encoding")}


@pytest.mark.parametrize("raw", URLS)
def test_parsed_and_rendered_as_sqlalchemy_does(raw: str) -> None:
    url, reference = pg_url.parse(raw), make_url(raw)
    assert url.render() == reference.render_as_string(hide_password=True)
    assert url.render(hide_password=False) == reference.render_as_string(hide_password=False)
    assert url.password == reference.password
    if raw.count("options=") < 2:  # SQLAlchemy hands psycopg a tuple there; ours joins them
        assert url.connect_kwargs() == reference_kwargs(raw)


def test_repeated_options_are_joined() -> None:
    raw = "postgresql+psycopg://u@h/db?options=-c%20a%3D1&options=-c%20b%3D2"
    assert pg_url.parse(raw).connect_kwargs()["options"] == "-c a=1 -c b=2"


def test_which_urls_take_the_psycopg_path() -> None:
    assert pg_url.is_native("postgresql://h/db")
    assert pg_url.is_native("postgresql+psycopg://h/db")
    for raw in ("postgresql+psycopg2://h/db", "postgres://h/db", "sqlite:///x.db",
                "mysql+pymysql://h/db", "not a url", "postgresql:/h"):  # fmt: skip
        assert not pg_url.is_native(raw)


def test_an_invalid_port_is_an_invalid_url_for_both() -> None:
    raw = "postgresql+psycopg://user:Sup3rS3cretPw@host:notaport/db"
    with pytest.raises(ValueError):
        pg_url.parse(raw)
    with pytest.raises(ValueError):
        make_url(raw)


def test_redaction_hides_the_url_and_every_spelling_of_the_password() -> None:
    raw = "postgresql+psycopg://reader:p%40ss%2Fw0rd@db.internal:5432/wh"
    message = pg_url.parse(raw).redact(f"cannot use {raw}: bad password p@ss/w0rd (p%40ss%2Fw0rd)")
    assert message == (
        "cannot use postgresql+psycopg://reader:***@db.internal:5432/wh: bad password *** (***)"
    )


def test_session_settings_keep_what_the_url_gives() -> None:
    given = pg_url.parse(
        "postgresql://u@h/db?options=-csearch_path%3Dwh&connect_timeout=3&application_name=etl"
    )
    assert session_kwargs(given, statement_timeout=2.5, connect_timeout=10) == {
        "host": "h", "dbname": "db", "user": "u", "connect_timeout": "3", "application_name": "etl",
        "options": "-csearch_path=wh -c statement_timeout=2500 -c default_transaction_read_only=on",
    }  # fmt: skip
    bare = session_kwargs(pg_url.parse("postgresql://h"), statement_timeout=30, connect_timeout=0.2)
    assert bare == {
        "host": "h", "connect_timeout": "1", "application_name": "demarc-probe",
        "options": "-c statement_timeout=30000 -c default_transaction_read_only=on",
    }  # fmt: skip


def test_without_psycopg_a_postgresql_probe_fails_and_says_why() -> None:
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if the `postgres` extra were not installed\n"
        "from bot.probes import Prober\n"
        "from ownership.model import SqlProbe\n"
        "with Prober({'URL': 'postgresql://h/db'}) as prober:\n"
        "    print(prober.probe(SqlProbe('URL', 't', 'ts')).error)\n"
        "    jobs = [(n, SqlProbe('URL', n, 'ts')) for n in ('a', 'b')]\n"
        "    print(*sorted({r.error for r in prober.run(jobs).values()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    error = "ModuleNotFoundError: import of psycopg halted; None in sys.modules"
    assert out.stdout.splitlines() == [error, error], out.stderr
