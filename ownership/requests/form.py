"""Reading the request modal's fields into a `DataRequestForm`, or saying what to fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date

from ownership.errors import InvalidValue
from ownership.model import Registry
from ownership.requests.model import FREQUENCIES, ColumnNeed, DataRequestForm, Freshness
from ownership.timeparse import parse_clock, parse_duration, zone

MAX_COLUMNS = 50
_COLUMN = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]{0,62})\s*(?:[:\s]\s*([A-Za-z]+))?\s*(required|optional)?\s*$",
    re.IGNORECASE,
)
TYPES = frozenset({"string", "integer", "float", "boolean", "date", "timestamp", "decimal"})


def parse_columns(text: str) -> tuple[ColumnNeed, ...]:
    """One column a line: "customer_id: string required", "age integer optional", "plan"."""
    needs: list[ColumnNeed] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _COLUMN.match(line)
        if match is None:
            raise InvalidValue(f'line {number}: write "name: type required", e.g. "age: integer"')
        kind = (match.group(2) or "string").lower()
        if kind not in TYPES:
            raise InvalidValue(
                f"line {number}: unknown type {kind!r}; use {', '.join(sorted(TYPES))}"
            )
        needs.append(
            ColumnNeed(match.group(1), kind, (match.group(3) or "required").lower() == "required")
        )
    if len(needs) > MAX_COLUMNS:
        raise InvalidValue(f"at most {MAX_COLUMNS} columns in one request")
    if len({n.name for n in needs}) != len(needs):
        raise InvalidValue("a column is named twice")
    return tuple(needs)


def check_form(
    registry: Registry, fields: Mapping[str, str], today: date
) -> DataRequestForm | dict[str, str]:
    """The form, or {field: what to fix} (field names as `DataRequestForm` and `Freshness`)."""
    errors: dict[str, str] = {}

    def get(name: str) -> str:
        return (fields.get(name) or "").strip()

    what, source, purpose, team = get("what"), get("source"), get("purpose"), get("consumer_team")
    if not what:
        errors["what"] = "Say what data you need."
    if source not in registry.assets:
        errors["source"] = "Pick a source from the registry."
    if not purpose:
        errors["purpose"] = "Say what it is for: Data Eng weighs the request by it."
    if team not in registry.teams:
        errors["consumer_team"] = "Pick the team that will consume the data."
    freshness, columns = check_terms(fields, errors)
    by_when = None
    if raw := get("by_when"):
        try:
            by_when = date.fromisoformat(raw)
        except ValueError:
            errors["by_when"] = "Pick a date."
        else:
            if by_when < today:
                errors["by_when"] = "Pick a date from today on."
    if errors:
        return errors
    assert freshness is not None
    return DataRequestForm(what, source, freshness, columns, purpose, team, by_when)


def check_terms(
    fields: Mapping[str, str], errors: dict[str, str]
) -> tuple[Freshness | None, tuple[ColumnNeed, ...]]:
    """The negotiable part (freshness, columns), adding what to fix to `errors`."""

    def get(name: str) -> str:
        return (fields.get(name) or "").strip()

    frequency = get("frequency") or "daily"
    if frequency not in FREQUENCIES:
        errors["frequency"] = f"Pick one of {', '.join(FREQUENCIES)}."
    at, tz, delay = get("at") or "02:00", get("timezone") or "UTC", get("max_delay") or "1 hour"
    parsers: tuple[tuple[str, Callable[[object], object], str], ...] = (
        ("at", parse_clock, at),
        ("timezone", zone, tz),
        ("max_delay", parse_duration, delay),
    )
    for name, parse, value in parsers:
        try:
            parse(value)
        except InvalidValue as exc:
            errors[name] = str(exc)[:150]
    try:
        columns = parse_columns(fields.get("columns") or "")
    except InvalidValue as exc:
        errors["columns"] = str(exc)[:150]
        columns = ()
    if any(k in errors for k in ("frequency", "at", "timezone", "max_delay")):
        return None, columns
    return Freshness(frequency, parse_clock(at).strftime("%H:%M"), tz, delay), columns


def with_terms(
    form: DataRequestForm, fields: Mapping[str, str]
) -> DataRequestForm | dict[str, str]:
    """`form` with the freshness and columns of a counter-proposal (or of its answer)."""
    errors: dict[str, str] = {}
    freshness, columns = check_terms(fields, errors)
    if errors or freshness is None:
        return errors
    return replace(form, freshness=freshness, columns=columns)
