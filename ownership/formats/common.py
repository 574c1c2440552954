"""Helpers every format reader shares: positions of JSON paths, JSON Schema problems, the
`demarc` extension block, durations with units, and turning names into ids."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ownership.errors import InvalidValue
from ownership.model import Contract, Person, SourceRef, Team
from ownership.read.fields import IDENTIFIER, SLACK_CHANNEL, Collector, did_you_mean, notice_days
from ownership.read.probes import ENV_NAME
from ownership.timeparse import MAX_DURATION, parse_duration
from ownership.yamlsafe import YList, YMap

# Problems a lenient load turns into warnings ("ignored: …"): the document breaks its own
# format's schema in a way demarc's reading does not depend on.
SCHEMA_CODE = "format-schema"


@dataclass(frozen=True, slots=True)
class Imported:
    """A contract read from a foreign format, before its team names are resolved.

    `owner_team` may be a team id, a team's display name or a member's email (dbt `meta.owner`);
    `owner_members` are people the format names as owners (ODCS members without `dateOut`),
    used when it names no team. Positions say where to point at when a name does not resolve.
    """

    contract: Contract
    owner_at: SourceRef
    consumers_at: SourceRef
    owner_members: tuple[str, ...] = ()
    consumer_at: tuple[tuple[str, SourceRef], ...] = ()  # each consumer name's own position
    inline_team: Team | None = None  # the team the document defines (ODCS `team`), if any
    aliases: tuple[str, ...] = ()  # other names of the asset (an ODCS contract's other tables)
    teamless: bool = False  # the document names no team and no people at all


@dataclass(frozen=True, slots=True)
class Membership:
    """A person who belongs to a team defined elsewhere (a Backstage User's `memberOf`)."""

    team: str
    person: Person
    where: SourceRef


@dataclass
class FormatResult:
    contracts: list[Imported] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)


EXTENSION_FIELDS = (
    "owner_team",
    "consumer_teams",
    "connection",
    "alert_channel",
    "change_channel",
    "notice_days",
    "asset_kind",
    "probe",
)


@dataclass(frozen=True, slots=True)
class Extension:
    """demarc's own settings inside a foreign file (ODCS customProperties, dbt meta.demarc)."""

    owner_team: str | None = None
    owner_at: SourceRef | None = None
    consumer_teams: tuple[str, ...] = ()
    consumers_at: SourceRef | None = None
    consumer_at: tuple[tuple[str, SourceRef], ...] = ()
    connection: str | None = None
    alert_channel: str | None = None
    change_channel: str | None = None
    notice_days: int | None = None
    asset_kind: str | None = None
    probe: bool | None = None  # false: demarc never probes it (dbt's own results feed it)

    def over(self, base: Extension) -> Extension:
        """This block's settings, falling back to `base` (a dbt table over its source)."""
        return Extension(
            owner_team=self.owner_team or base.owner_team,
            owner_at=self.owner_at if self.owner_team else base.owner_at,
            consumer_teams=self.consumer_teams or base.consumer_teams,
            consumers_at=self.consumers_at if self.consumer_teams else base.consumers_at,
            consumer_at=self.consumer_at if self.consumer_teams else base.consumer_at,
            connection=self.connection or base.connection,
            alert_channel=self.alert_channel or base.alert_channel,
            change_channel=self.change_channel or base.change_channel,
            notice_days=self.notice_days if self.notice_days is not None else base.notice_days,
            asset_kind=self.asset_kind or base.asset_kind,
            probe=self.probe if self.probe is not None else base.probe,
        )


def read_extension(c: Collector, raw: Any, where: SourceRef, what: str) -> Extension:
    m = c.mapping(raw, where, what, EXTENSION_FIELDS)
    if m is None:
        return Extension()
    consumers: list[str] = []
    consumer_at: list[tuple[str, SourceRef]] = []
    for item, at in c.items(m.get("consumer_teams"), m.value_at("consumer_teams"), what):
        if isinstance(item, str) and item.strip():
            consumers.append(item.strip())
            consumer_at.append((item.strip(), at))
        else:
            c.error(at, f"each of {what} consumer_teams must be a team id", "wrong-type")
    connection = c.text(m, "connection", what)
    if connection is not None and not ENV_NAME.match(connection):
        c.error(
            m.value_at("connection"),
            f"{what}: connection must name an environment variable holding the URL "
            "(e.g. WAREHOUSE_URL), never the URL or a password itself",
            "secret-in-yaml",
        )
        connection = None
    notice = notice_days(c, m, what)
    probe = m.get("probe")
    if probe is not None and not isinstance(probe, bool):
        c.error(m.value_at("probe"), f"{what}: probe must be true or false", "wrong-type")
        probe = None
    return Extension(
        probe=probe,
        owner_team=c.text(m, "owner_team", what),
        owner_at=m.value_at("owner_team"),
        consumer_teams=tuple(consumers),
        consumers_at=m.value_at("consumer_teams"),
        consumer_at=tuple(consumer_at),
        connection=connection,
        alert_channel=channel(c, m, "alert_channel", what),
        change_channel=channel(c, m, "change_channel", what),
        notice_days=notice,
        asset_kind=c.identifier(m, "asset_kind", what, required=False),
    )


def channel(c: Collector, m: YMap, key: str, what: str) -> str | None:
    if m.get(key) is None:
        return None
    return c.pattern(m[key], m.value_at(key), SLACK_CHANNEL, f"{what} {key}", '"#data-changes"')


# ---------------------------------------------------------------------- positions and schemas
def locate(doc: Any, path: Sequence[str | int], fallback: SourceRef) -> SourceRef:
    """The position of the value at `path` (as far as it exists) inside positioned YAML."""
    where = getattr(doc, "where", fallback)
    node = doc
    for step in path:
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            where, node = node.value_at(step), node[step]
        elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
            where, node = node.item_at(step), node[step]
        else:
            break
    return where


def to_json(value: Any) -> Any:
    """Plain JSON values: YAML dates and times become ISO strings, as JSON Schemas expect."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_QUOTED = re.compile(r"'([^']+)'")


def schema_problems(
    c: Collector,
    doc: YMap,
    errors: Iterable[Any],
    what: str,
    root: dict[str, Any] | None = None,
    limit: int = 50,
) -> None:
    """Report jsonschema `ValidationError`s at the YAML position of the offending value."""
    from jsonschema.exceptions import best_match

    seen: set[tuple[int, int, str]] = set()
    for count, error in enumerate(sorted(errors, key=lambda e: list(map(str, e.absolute_path)))):
        if count >= limit:
            c.error(doc.where, f"{what}: more schema problems not shown", SCHEMA_CODE)
            return
        if error.context:  # oneOf / anyOf: the alternative of the instance's own type
            inner = [e for e in error.context if e.validator != "type" or e.relative_path]
            error = max(inner, key=lambda e: len(e.path)) if inner else best_match(error.context)
        path = list(error.absolute_path)
        where = locate(doc, path, doc.where)
        node = _node(doc, path)
        shown = "/".join(str(p) for p in path) or "the top level"
        if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
            node, YMap
        ):
            names = [n for n in _QUOTED.findall(error.message) if n in node]
            for name in names or [""]:
                at = node.key_at(name) if name else where
                hint = did_you_mean(name, _known(error, root or {})) if name else ""
                message = (
                    f"{what}: '{name}' is not a field of {shown}{hint}"
                    if name
                    else f"{what} at {shown}: {_short(error.message)}"
                )
                _once(c, seen, at, message)
            continue
        _once(c, seen, where, f"{what} at {shown}: {_short(error.message)}")


def _known(error: Any, root: dict[str, Any]) -> list[str]:
    """The field names the failing (sub)schema allows, following local `$ref`s: "did you mean"."""
    names: list[str] = []
    todo = [error.schema] if isinstance(error.schema, dict) else []
    while todo and len(names) < 500:
        schema = todo.pop()
        names += list(schema.get("properties", {}))
        refs = [
            schema.get("$ref"),
            *(p.get("$ref") for p in schema.get("allOf", []) if isinstance(p, dict)),
        ]
        for ref in refs:
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                target = root.get("$defs", {}).get(ref.split("/")[-1])
                if isinstance(target, dict):
                    todo.append(target)
    return names


def _once(c: Collector, seen: set[tuple[int, int, str]], at: SourceRef, message: str) -> None:
    key = (at.line, at.column, message)
    if key not in seen:
        seen.add(key)
        c.error(at, message, SCHEMA_CODE)


def _node(doc: Any, path: Sequence[str | int]) -> Any:
    node = doc
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


# ---------------------------------------------------------------------- values
_UNIT_WORDS = {
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "wk": "weeks",
    "week": "weeks",
    "weeks": "weeks",
}


def duration(value: Any, unit: Any) -> timedelta:
    """An amount and a unit ("4", "d"), or an ISO duration ("PT1H") without a unit."""
    if unit is None:
        return parse_duration(value)
    word = _UNIT_WORDS.get(str(unit).strip().lower())
    if word is None:
        raise InvalidValue(
            f"unit {unit!r} is not a time span demarc can check; use s, min, h, d or w"
        )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidValue(f"expected a number, got {value!r}")
    try:
        amount = float(value)
    except (ValueError, OverflowError):
        raise InvalidValue(f"expected a number, got {value!r}") from None
    if not amount > 0:  # also NaN
        raise InvalidValue(f"must be positive, got {value!r}")
    seconds = amount * _UNIT_SECONDS[word]
    if seconds > MAX_DURATION.total_seconds():  # also inf
        raise InvalidValue(f"{value!r} {unit} is longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def slug(text: str) -> str:
    """A registry id from a human name: "Data Engineering" -> "data_engineering"."""
    if IDENTIFIER.match(text):
        return text
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
