"""How to probe an asset's data: SQL through an env-named SQLAlchemy URL, or HTTP."""

from __future__ import annotations

import re

from ownership.model import HttpProbe, Probe, SqlProbe
from ownership.read.fields import Collector
from ownership.timeparse import zone_key
from ownership.yamlsafe import YMap

PROBE_FIELDS = ("sql", "http")
SQL_FIELDS = ("connection", "table", "schema", "timestamp_column", "filter", "naive_timezone")
HTTP_FIELDS = ("url", "timestamp", "headers")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def read_probe(c: Collector, m: YMap, what: str) -> Probe | None:
    if m.get("probe") is None:
        return None
    p = c.mapping(m["probe"], m.value_at("probe"), f"{what} probe", PROBE_FIELDS)
    if p is None:
        return None
    if ("sql" in p) == ("http" in p):
        c.error(p.where, f"{what} probe needs exactly one of 'sql' or 'http'", "bad-value")
        return None
    if "sql" in p:
        s = c.mapping(
            p["sql"],
            p.value_at("sql"),
            f"{what} probe sql",
            SQL_FIELDS,
            ("connection", "table", "timestamp_column"),
        )
        if s is None:
            return None
        ctx = f"{what} probe sql"
        conn = c.text(s, "connection", ctx, required=True)
        if conn is not None and not ENV_NAME.match(conn):
            c.error(
                s.value_at("connection"),
                f"{ctx}: connection must name an environment variable holding the URL "
                "(e.g. WAREHOUSE_URL), never the URL or a password itself",
                "secret-in-yaml",
            )
            conn = None
        table = c.text(s, "table", ctx, required=True)
        column = c.text(s, "timestamp_column", ctx, required=True)
        naive = c.parsed(s, "naive_timezone", ctx, zone_key) or "UTC"
        if not (conn and table and column):
            return None
        return SqlProbe(
            conn, table, column, c.text(s, "schema", ctx), c.text(s, "filter", ctx), naive
        )
    h = c.mapping(
        p["http"], p.value_at("http"), f"{what} probe http", HTTP_FIELDS, ("url", "timestamp")
    )
    if h is None:
        return None
    ctx = f"{what} probe http"
    url = c.text(h, "url", ctx, required=True)
    if url is not None and not url.startswith(("http://", "https://")):
        c.error(h.value_at("url"), f"{ctx}: url must start with http:// or https://", "bad-value")
        url = None
    stamp = c.text(h, "timestamp", ctx, required=True)
    if stamp is not None and not stamp.startswith(("json:", "header:")):
        c.error(
            h.value_at("timestamp"),
            f"{ctx}: timestamp must be 'json:<field.path>' or 'header:Last-Modified'",
            "bad-value",
        )
        stamp = None
    headers = []
    if h.get("headers") is not None:
        hm = c.mapping(
            h["headers"],
            h.value_at("headers"),
            f"{ctx} headers",
            tuple(h["headers"]) if isinstance(h["headers"], dict) else (),
        )
        for name in hm or {}:
            assert hm is not None
            value = str(hm[name])
            if not value.startswith("env:"):
                c.error(
                    hm.value_at(name),
                    f"{ctx}: header '{name}' must be 'env:VARIABLE' so no secret is kept in YAML",
                    "secret-in-yaml",
                )
                continue
            headers.append((name, value))
    if not (url and stamp):
        return None
    return HttpProbe(url, stamp, tuple(headers))
