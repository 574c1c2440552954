"""demarc's own contract format: the lecture's YAML as it is, plus how to probe the data.

```yaml
data_source: customer_master_db      # the asset the contract is about (also its id)
owner_team: data_engineering
consumer_teams: [mlops_churn]
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
probe: {sql: {connection: WAREHOUSE_URL, table: customers, timestamp_column: updated_at}}
```
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import time
from typing import Any

from ownership.model import (
    AgeSla,
    ChangePolicy,
    Column,
    Contract,
    DeadlineSla,
    EventSla,
    QualityRule,
    SourceRef,
    Volume,
)
from ownership.periods import cron_problem
from ownership.read.calendars import read_calendar
from ownership.read.fields import (
    MAX_NOTICE_DAYS,
    SLACK_CHANNEL,
    Collector,
    notice_days,
    positions,
)
from ownership.read.probes import read_probe
from ownership.read.quality import read_section
from ownership.timeparse import parse_duration, parse_update_time, zone_key
from ownership.yamlsafe import YMap

CONTRACT_FIELDS = (
    "id", "data_source", "asset_kind", "description", "owner_team", "consumer_teams", "sla",
    "freshness", "schema", "change_policy", "contacts", "probe", "alert_channel", "quality",
)  # fmt: skip
AFTER_FIELDS = ("update_frequency", "after", "max_delay")
SLA_FIELDS = (
    "update_frequency", "update_time", "max_delay", "cron", "timezone", "calendar", "warn_after",
)  # fmt: skip
FRESHNESS_FIELDS = ("warn_after", "error_after")
COLUMN_FIELDS = ("type", "required", "description", "unique", "primary", "max_null_ratio")
POLICY_FIELDS = ("breaking_changes", "non_breaking_changes", "notice_days", "channel")
FREQUENCIES = ("hourly", "daily", "weekly", "cron", "after")
_NOTICE = re.compile(r"(\d+)\s*(day|week)s?", re.IGNORECASE)
_CHANNEL_IN_TEXT = re.compile(r"(#[a-z0-9][a-z0-9._\-]*)")


def is_contract(doc: Any) -> bool:
    return isinstance(doc, dict) and "data_source" in doc


def read_contract(c: Collector, m: YMap, lines: list[str]) -> Contract | None:
    c.mapping(m, m.where, "contract", CONTRACT_FIELDS)
    asset = c.identifier(m, "data_source", "contract")
    if asset is None:
        return None
    contract_id = c.identifier(m, "id", "contract", required=False) or asset
    what = f"contract '{contract_id}'"
    owner = c.identifier(m, "owner_team", what)
    consumers = []
    for item, at in c.items(
        m.get("consumer_teams"), m.value_at("consumer_teams"), f"{what} consumer_teams"
    ):
        if isinstance(item, str) and item.strip():
            consumers.append(item.strip())
        else:
            c.error(at, f"each of {what} consumer_teams must be a team id", "wrong-type")
    alert_channel = None
    if m.get("alert_channel") is not None:
        alert_channel = c.pattern(
            m["alert_channel"],
            m.value_at("alert_channel"),
            SLACK_CHANNEL,
            f"{what} alert_channel",
            '"#data-eng-oncall"',
        )
    if owner is None:
        return None
    volume: Volume | None = None
    rules: tuple[QualityRule, ...] = ()
    if m.get("quality") is not None:
        volume, rules = read_section(c, m["quality"], m.value_at("quality"), what)
    schema = _schema(c, m, what)
    return Contract(
        id=contract_id,
        asset=asset,
        owner_team=owner,
        consumer_teams=tuple(consumers),
        sla=_sla(c, m, what),
        after=_after(c, m, what),
        freshness=_freshness(c, m, what),
        schema=schema,
        change_policy=_policy(c, m, what),
        contacts=_contacts(c, m, what, lines),
        probe=read_probe(c, m, what),
        alert_channel=alert_channel,
        source=m.where,
        description=c.text(m, "description", what) or "",
        asset_kind=c.identifier(m, "asset_kind", what, required=False),
        at=positions(m),
        quality=rules,
        volume=volume,
    )


def _after(c: Collector, m: YMap, what: str) -> EventSla | None:
    """`sla: {update_frequency: after, after: customer_master_db, max_delay: 2 hours}`."""
    s = m.get("sla")
    if not isinstance(s, YMap) or s.get("update_frequency") != "after":
        return None
    ctx = f"{what} sla"
    s = c.mapping(s, m.value_at("sla"), ctx, AFTER_FIELDS, ("after", "max_delay"))
    if s is None:
        return None
    upstream = c.identifier(s, "after", ctx)
    within = c.parsed(s, "max_delay", ctx, parse_duration)
    if upstream is None or within is None:
        return None
    return EventSla(upstream, within)


def _sla(c: Collector, m: YMap, what: str) -> DeadlineSla | None:
    s = m.get("sla")
    if isinstance(s, YMap) and s.get("update_frequency") == "after":
        return None  # an event-relative SLA: `_after`
    sla = _deadline(c, m, what)
    s = m.get("sla")
    if not isinstance(s, YMap):
        return sla
    calendar = read_calendar(c, s, "calendar", f"{what} sla")
    warn_after = c.parsed(s, "warn_after", f"{what} sla", parse_duration)
    if sla is None:
        return None
    if warn_after is not None and warn_after >= sla.max_delay:
        c.error(
            s.value_at("warn_after"),
            f"{what} sla: warn_after must be shorter than max_delay (the heads-up comes "
            "between the due time and the deadline)",
            "bad-value",
        )
        warn_after = None
    if calendar is None and warn_after is None:
        return sla
    return replace(sla, calendar=calendar, warn_after=warn_after)


def _deadline(c: Collector, m: YMap, what: str) -> DeadlineSla | None:
    if m.get("sla") is None:
        return None
    s = c.mapping(
        m["sla"], m.value_at("sla"), f"{what} sla", SLA_FIELDS, ("update_frequency", "max_delay")
    )
    if s is None:
        return None
    ctx = f"{what} sla"
    freq = c.text(s, "update_frequency", ctx)
    if freq is not None and freq not in FREQUENCIES:
        c.error(
            s.value_at("update_frequency"),
            f"{ctx}: update_frequency '{freq}' is not one of {', '.join(FREQUENCIES)}",
            "bad-value",
        )
        freq = None
    max_delay = c.parsed(s, "max_delay", ctx, parse_duration)
    tz_default = c.parsed(s, "timezone", ctx, zone_key)
    weekday, at, tz = None, None, tz_default
    if freq == "cron":
        cron = c.text(s, "cron", ctx, required=True)
        problem = cron_problem(cron) if cron is not None else None
        if problem is not None:
            c.error(s.value_at("cron"), f"{ctx}: {problem}", "bad-value")
            cron = None
        if cron is None or max_delay is None:
            return None
        return DeadlineSla("cron", tz or "UTC", max_delay, cron=cron)
    if s.get("cron") is not None:
        c.error(s.key_at("cron"), f"{ctx}: 'cron' needs update_frequency: cron", "bad-value")
    parsed = c.parsed(
        s, "update_time", ctx, lambda v: parse_update_time(v, tz_default), required=freq != "hourly"
    )
    if parsed is not None:
        weekday, at, tz = parsed
    if freq == "weekly" and parsed is not None and weekday is None:
        c.error(
            s.value_at("update_time"),
            f'{ctx}: weekly update_time needs a weekday, e.g. "Mon 06:00 UTC"',
            "bad-value",
        )
        return None
    if freq != "weekly" and weekday is not None:
        c.error(
            s.value_at("update_time"), f"{ctx}: a weekday only makes sense for weekly", "bad-value"
        )
        return None
    if freq is None or max_delay is None or (parsed is None and freq != "hourly"):
        return None
    return DeadlineSla(freq, tz or "UTC", max_delay, at or time(0, 0), weekday)  # type: ignore[arg-type]


def _freshness(c: Collector, m: YMap, what: str) -> AgeSla | None:
    if m.get("freshness") is None:
        return None
    f = c.mapping(m["freshness"], m.value_at("freshness"), f"{what} freshness", FRESHNESS_FIELDS)
    if f is None:
        return None
    warn = c.parsed(f, "warn_after", f"{what} freshness", parse_duration)
    error = c.parsed(f, "error_after", f"{what} freshness", parse_duration)
    if warn is None and error is None:
        c.error(f.where, f"{what} freshness needs warn_after or error_after", "missing-field")
        return None
    if warn and error and warn > error:
        c.warn(
            f.value_at("warn_after"),
            f"{what}: warn_after is later than error_after",
            "freshness-order",
        )
    return AgeSla(warn, error)


def _named(c: Collector, m: YMap, field: str, what: str) -> YMap | None:
    """`m[field]` as a mapping whose keys are names (columns, contact kinds), if it is one."""
    raw = m.get(field)
    if raw is None:
        return None
    return c.mapping(
        raw, m.value_at(field), f"{what} {field}", tuple(raw) if isinstance(raw, dict) else ()
    )


def _schema(c: Collector, m: YMap, what: str) -> tuple[Column, ...]:
    s = _named(c, m, "schema", what)
    if s is None:
        return ()
    columns = []
    for name in s:
        value = s[name]
        if isinstance(value, str):  # shorthand `column: string`
            columns.append(Column(name, value))
            continue
        col = c.mapping(
            value, s.value_at(name), f"{what} column '{name}'", COLUMN_FIELDS, ("type",)
        )
        if col is None or col.get("type") is None:
            continue
        columns.append(
            Column(
                name=name,
                type=c.text(col, "type", f"{what} column '{name}'") or "",
                required=c.boolean(col, "required", f"{what} column '{name}'"),
                description=c.text(col, "description", f"{what} column '{name}'") or "",
                unique=c.boolean(col, "unique", f"{what} column '{name}'")
                or c.boolean(col, "primary", f"{what} column '{name}'"),
                max_null_ratio=_ratio(c, col, f"{what} column '{name}'"),
            )
        )
    return tuple(columns)


def _ratio(c: Collector, col: YMap, what: str) -> float | None:
    value = col.get("max_null_ratio")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        c.error(
            col.value_at("max_null_ratio"),
            f"{what} max_null_ratio must be 0 to 1 (a share of the period's rows, e.g. 0.01)",
            "bad-value",
        )
        return None
    return float(value)


def _policy(c: Collector, m: YMap, what: str) -> ChangePolicy:
    if m.get("change_policy") is None:
        return ChangePolicy()
    p = c.mapping(
        m["change_policy"], m.value_at("change_policy"), f"{what} change_policy", POLICY_FIELDS
    )
    if p is None:
        return ChangePolicy()
    breaking = c.text(p, "breaking_changes", what)
    notice = notice_days(c, p, what)
    channel = c.text(p, "channel", what)
    if breaking:  # "30 days notice via #data-changes" says both
        found = _NOTICE.search(breaking)
        # six digits are past any limit already: int() of a huge string is quadratic
        weeks = found is not None and found.group(2).lower() == "week"
        days = int(found.group(1)[:6]) * (7 if weeks else 1) if found else 0
        if notice is None and found and days > MAX_NOTICE_DAYS:
            c.error(
                p.value_at("breaking_changes"),
                f"{what}: {days} days' notice is more than {MAX_NOTICE_DAYS}",
                "bad-value",
            )
        elif notice is None and found:
            notice = days
        via = _CHANNEL_IN_TEXT.search(breaking)
        if channel is None and via:
            channel = via.group(1)
    return ChangePolicy(breaking, c.text(p, "non_breaking_changes", what), notice, channel)


def _contacts(c: Collector, m: YMap, what: str, lines: list[str]) -> tuple[tuple[str, str], ...]:
    cm = _named(c, m, "contacts", what)
    if cm is None:
        return ()
    out = []
    for key in cm:
        value = cm[key]
        if value is None:
            recovered = _comment_channel(lines, cm.key_at(key))
            if recovered:
                c.warn(
                    cm.key_at(key),
                    f"{what} contacts.{key}: '{recovered}' is a YAML comment, so the value "
                    f"is empty; demarc reads it as the channel {recovered} - quote it: "
                    f'{key}: "{recovered}"',
                    "unquoted-channel",
                )
                out.append((key, recovered))
            continue
        if isinstance(value, str | int) and not isinstance(value, bool):
            out.append((key, str(value)))
        else:
            c.error(cm.value_at(key), f"{what} contacts.{key} must be text", "wrong-type")
    return tuple(out)


def _comment_channel(lines: list[str], at: SourceRef) -> str | None:
    """`oncall: #data-eng-oncall` parses as an empty value plus a comment: recover the channel."""
    if not 0 < at.line <= len(lines):
        return None
    line = lines[at.line - 1]
    match = re.match(r"^\s*[\w.\-]+\s*:\s*(#[a-z0-9][a-z0-9._\-]*)\s*$", line)
    return match.group(1) if match else None
