"""dbt sources (`sources.yml`, properties `version: 2`) read into one contract per table.

Both layouts dbt accepts: the legacy top-level keys (`freshness`, `loaded_at_field`, `meta` on
the source or table) and the `config:` block (dbt 1.9+); `config` wins where both are given.
A table inherits its source's settings key by key, as dbt merges them, and `freshness: null`
opts a table out. docs/formats.md has the mapping table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ownership.formats.common import (
    SCHEMA_CODE,
    Extension,
    FormatResult,
    Imported,
    read_extension,
)
from ownership.model import AgeSla, ChangePolicy, Column, Contract, SourceRef, SqlProbe
from ownership.read.fields import IDENTIFIER, Collector, did_you_mean
from ownership.timeparse import MAX_DURATION
from ownership.yamlsafe import YMap

DEFAULT_CONNECTION = "DBT_WAREHOUSE_URL"
TOP_FIELDS = (
    "version",
    "sources",
    "models",
    "seeds",
    "snapshots",
    "macros",
    "exposures",
    "metrics",
    "semantic_models",
    "saved_queries",
    "analyses",
    "groups",
    "unit_tests",
    "data_tests",
)
SOURCE_FIELDS = (
    "name",
    "description",
    "database",
    "schema",
    "loader",
    "loaded_at_field",
    "loaded_at_query",
    "meta",
    "tags",
    "config",
    "overrides",
    "freshness",
    "quoting",
    "tables",
    "docs",
    "event_time",
)
TABLE_FIELDS = (
    "name",
    "description",
    "identifier",
    "loaded_at_field",
    "loaded_at_query",
    "meta",
    "tags",
    "config",
    "freshness",
    "quoting",
    "external",
    "columns",
    "tests",
    "data_tests",
    "docs",
    "event_time",
)
CONFIG_FIELDS = (
    "enabled",
    "meta",
    "tags",
    "freshness",
    "loaded_at_field",
    "loaded_at_query",
    "event_time",
    "docs",
)
COLUMN_FIELDS = (
    "name",
    "description",
    "data_type",
    "meta",
    "tags",
    "tests",
    "data_tests",
    "constraints",
    "quote",
    "config",
    "policy_tags",
    "granularity",
    "docs",
)
FRESHNESS_FIELDS = ("warn_after", "error_after", "filter")
TIME_FIELDS = ("count", "period")
PERIODS = {"minute": 60, "hour": 3600, "day": 86400}


class _Missing:
    """A key that is absent (inherit), as opposed to null (opt out)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class _Freshness:
    warn: Any = MISSING  # timedelta | None | MISSING
    error: Any = MISSING
    filter: Any = MISSING  # str | None | MISSING

    def over(self, base: _Freshness) -> _Freshness:
        return _Freshness(
            *(
                mine if mine is not MISSING else theirs
                for mine, theirs in (
                    (self.warn, base.warn),
                    (self.error, base.error),
                    (self.filter, base.filter),
                )
            )
        )


@dataclass
class _Level:
    """The settings of a source, or of a table before inheriting from its source."""

    freshness: Any = MISSING  # _Freshness | None (opted out) | MISSING
    loaded_at: str | None = None
    owner: str | None = None
    owner_at: SourceRef | None = None
    ext: Extension = field(default_factory=Extension)
    enabled: bool = True
    unsupported_query: bool = False


def is_dbt(doc: YMap) -> bool:
    return "version" in doc and any(key in doc for key in TOP_FIELDS[1:])


def read_dbt(c: Collector, doc: YMap) -> FormatResult:
    out = FormatResult()
    _keys(c, doc, TOP_FIELDS, "dbt properties file")
    for source, at in c.items(doc.get("sources"), doc.value_at("sources"), "dbt sources"):
        if not isinstance(source, YMap):
            c.error(at, "each dbt source must be a mapping with a name", "wrong-type")
            continue
        name = c.text(source, "name", "dbt source", required=True)
        if name is None:
            continue
        what = f"dbt source '{name}'"
        _keys(c, source, SOURCE_FIELDS, what)
        base = _level(c, source, what)
        if not base.enabled:
            continue
        tables = source.get("tables")
        for table, table_at in c.items(tables, source.value_at("tables"), f"{what} tables"):
            imported = _table(c, source, name, base, table, table_at)
            if imported is not None:
                out.contracts.append(imported)
    return out


def _table(
    c: Collector, source: YMap, source_name: str, base: _Level, raw: Any, where: SourceRef
) -> Imported | None:
    if not isinstance(raw, YMap):
        c.error(where, f"each table of dbt source '{source_name}' must be a mapping", "wrong-type")
        return None
    name = c.text(raw, "name", f"table of dbt source '{source_name}'", required=True)
    if name is None:
        return None
    contract_id = f"{source_name}.{name}"
    what = f"dbt source table '{contract_id}'"
    if not IDENTIFIER.match(contract_id):
        c.error(raw.value_at("name"), f"{what}: not usable as an id", "bad-id")
        return None
    _keys(c, raw, TABLE_FIELDS, what)
    own = _level(c, raw, what)
    if not own.enabled:
        return None
    ext = own.ext.over(base.ext)
    fresh = base.freshness if own.freshness is MISSING else own.freshness
    if isinstance(own.freshness, _Freshness) and isinstance(base.freshness, _Freshness):
        fresh = own.freshness.over(base.freshness)
    age = None
    if isinstance(fresh, _Freshness):
        warn = fresh.warn if isinstance(fresh.warn, timedelta) else None
        error = fresh.error if isinstance(fresh.error, timedelta) else None
        if warn or error:
            age = AgeSla(warn, error)
    loaded_at = own.loaded_at or base.loaded_at
    if age is not None and loaded_at is None and (own.unsupported_query or base.unsupported_query):
        c.warn(
            raw.where,
            f"{what}: loaded_at_query is not supported, so demarc cannot probe it; "
            "feed it dbt's results instead (demarc ingest-dbt-results)",
            "no-probe",
        )
    probe = None
    if age is not None and loaded_at is not None and ext.probe is not False:
        schema = source.get("schema") if isinstance(source.get("schema"), str) else source_name
        identifier = str(raw["identifier"]) if isinstance(raw.get("identifier"), str) else name
        probe = SqlProbe(
            ext.connection or DEFAULT_CONNECTION,
            identifier,
            loaded_at,
            schema,
            fresh.filter if isinstance(fresh, _Freshness) and fresh.filter is not MISSING else None,
        )
    owner = ext.owner_team or own.owner or base.owner or ""
    owner_at = ext.owner_at if ext.owner_team else (own.owner_at if own.owner else base.owner_at)
    description = raw.get("description") or source.get("description") or ""
    contract = Contract(
        id=contract_id,
        asset=contract_id,
        owner_team=owner,
        consumer_teams=ext.consumer_teams,
        freshness=age,
        schema=_columns(c, raw, what),
        change_policy=ChangePolicy(notice_days=ext.notice_days, channel=ext.change_channel),
        probe=probe,
        alert_channel=ext.alert_channel,
        source=raw.where,
        format="dbt",
        description=str(description).strip(),
        asset_kind=ext.asset_kind,
    )
    missing_owner_at = raw.value_at("name")
    return Imported(
        contract,
        owner_at or missing_owner_at,
        ext.consumers_at or raw.where,
        consumer_at=ext.consumer_at,
    )


def _level(c: Collector, m: YMap, what: str) -> _Level:
    level = _Level()
    config = m.get("config")
    holders = [m]
    if config is not None:
        if isinstance(config, YMap):
            _keys(c, config, CONFIG_FIELDS, f"{what} config")
            holders.append(config)
        else:
            c.error(m.value_at("config"), f"{what} config must be a mapping", "wrong-type")
    meta: dict[str, tuple[Any, SourceRef]] = {}
    for holder in holders:  # config: last, so it wins
        if "freshness" in holder:
            level.freshness = _freshness(c, holder, what)
        if holder.get("loaded_at_field") is not None:
            level.loaded_at = c.text(holder, "loaded_at_field", what)
        if holder.get("loaded_at_query") is not None:
            level.unsupported_query = True
        if holder.get("enabled") is not None:
            level.enabled = c.boolean(holder, "enabled", what, True)
        raw_meta = holder.get("meta")
        if raw_meta is None:
            continue
        if not isinstance(raw_meta, YMap):
            c.error(holder.value_at("meta"), f"{what} meta must be a mapping", "wrong-type")
            continue
        meta.update({k: (raw_meta[k], raw_meta.value_at(k)) for k in raw_meta})
    if "owner" in meta:
        owner, at = meta["owner"]
        if isinstance(owner, str) and owner.strip():
            level.owner, level.owner_at = owner.strip(), at
        else:
            c.error(at, f"{what} meta.owner must be a team id, team name or email", "wrong-type")
    if "demarc" in meta:
        raw, at = meta["demarc"]
        level.ext = read_extension(c, raw, at, f"{what} meta.demarc")
    return level


def _freshness(c: Collector, holder: YMap, what: str) -> _Freshness | None:
    raw = holder.get("freshness")
    if raw is None:
        return None  # `freshness: null`: this table is not checked
    ctx = f"{what} freshness"
    if not isinstance(raw, YMap):
        c.error(holder.value_at("freshness"), f"{ctx} must be a mapping or null", "wrong-type")
        return _Freshness(None, None, None)
    _keys(c, raw, FRESHNESS_FIELDS, ctx)
    parts: list[Any] = []
    for key in ("warn_after", "error_after"):
        if key not in raw:
            parts.append(MISSING)
            continue
        parts.append(_time(c, raw, key, ctx))
    flt = raw.get("filter", MISSING)
    if flt is not MISSING and flt is not None and not isinstance(flt, str):
        c.error(raw.value_at("filter"), f"{ctx} filter must be SQL text", "wrong-type")
        flt = None
    return _Freshness(parts[0], parts[1], flt)


def _time(c: Collector, m: YMap, key: str, ctx: str) -> timedelta | None:
    raw = m.get(key)
    if raw is None:
        return None
    t = c.mapping(raw, m.value_at(key), f"{ctx} {key}", TIME_FIELDS)
    if t is None:
        return None
    count, period = t.get("count"), t.get("period")
    if count is None and period is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        c.error(
            t.value_at("count"), f"{ctx} {key}: count must be a positive whole number", "bad-value"
        )
        return None
    if not isinstance(period, str) or period not in PERIODS:
        shown = repr(period) if isinstance(period, str | int | float) else _type_name(period)
        c.error(
            t.value_at("period"),
            f"{ctx} {key}: period {shown[:60]} is not minute, hour or day"
            f"{did_you_mean(period, PERIODS) if isinstance(period, str) else ''}",
            "bad-value",
        )
        return None
    seconds = count * PERIODS[period]
    if seconds > MAX_DURATION.total_seconds():
        c.error(
            t.value_at("count"),
            f"{ctx} {key}: {count} {period}s is longer than {MAX_DURATION.days} days",
            "bad-value",
        )
        return None
    return timedelta(seconds=seconds)


def _columns(c: Collector, table: YMap, what: str) -> tuple[Column, ...]:
    out = []
    for col, at in c.items(table.get("columns"), table.value_at("columns"), f"{what} columns"):
        if not isinstance(col, YMap):
            c.error(at, f"each column of {what} must be a mapping with a name", "wrong-type")
            continue
        name = c.text(col, "name", f"column of {what}", required=True)
        if name is None:
            continue
        _keys(c, col, COLUMN_FIELDS, f"{what} column '{name}'")
        tests = [*_list(col.get("tests")), *_list(col.get("data_tests"))]
        constraints = [x.get("type") for x in _list(col.get("constraints")) if isinstance(x, dict)]
        required = "not_null" in constraints or any(
            t == "not_null" or (isinstance(t, dict) and "not_null" in t) for t in tests
        )
        out.append(
            Column(
                name=name,
                type=str(col.get("data_type") or ""),
                required=required,
                description=str(col.get("description") or "").strip(),
            )
        )
    return tuple(out)


def _type_name(value: Any) -> str:
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "?"


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _keys(c: Collector, m: YMap, allowed: tuple[str, ...], what: str) -> None:
    """Unknown keys are schema problems: errors, or warnings in lenient mode."""
    c.known_keys(m, allowed, what, SCHEMA_CODE)
