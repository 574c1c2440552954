"""Field-by-field reading with every problem collected, never raised: one pass finds them all."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from ownership.errors import InvalidValue, Problem, Severity
from ownership.model import SourceRef
from ownership.yamlsafe import YList, YMap

T = TypeVar("T")
D = TypeVar("D", date, datetime)
INTERNAL_CODE = "internal-error"  # a bug in demarc: the fuzz tests fail on any
MIN_YEAR, MAX_YEAR = 1900, 2999

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_USERGROUP = re.compile(r"^S[A-Z0-9]{2,}$")
SLACK_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9._\-]{0,79}|[CG][A-Z0-9]{2,})$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MAX_NOTICE_DAYS = 3650  # ten years; more is a typo, and date arithmetic on it overflows


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Collector:
    """Collects problems for one file; helpers return None (and record why) on bad input."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def error(self, where: SourceRef, message: str, code: str = "invalid") -> None:
        self.problems.append(Problem(where, message, Severity.ERROR, code))

    def warn(self, where: SourceRef, message: str, code: str) -> None:
        self.problems.append(Problem(where, message, Severity.WARNING, code))

    # -- shapes ---------------------------------------------------------------------------
    def mapping(
        self,
        value: Any,
        where: SourceRef,
        what: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> YMap | None:
        """`value` as a mapping with only `allowed` keys; reports unknown and missing keys."""
        if not isinstance(value, YMap):
            self.error(where, f"{what} must be a mapping, not {_type_name(value)}", "wrong-type")
            return None
        self.known_keys(value, tuple(allowed), what)
        for key in required:
            if value.get(key) is None:
                self.error(value.where, f"{what} needs '{key}'", "missing-field")
        return value

    def known_keys(
        self, m: YMap, allowed: tuple[str, ...], what: str, code: str = "unknown-field"
    ) -> None:
        """Reports duplicate keys of `m` and keys not in `allowed` (as `code`)."""
        for key, at in m.duplicates:
            self.error(at, f"duplicate key '{key}' in {what}", "duplicate-key")
        for key in m:
            if key not in allowed:
                self.error(
                    m.key_at(key),
                    f"unknown field '{key}' in {what}{did_you_mean(key, allowed)}",
                    code,
                )

    def items(self, value: Any, where: SourceRef, what: str) -> list[tuple[Any, SourceRef]]:
        """A list's items with positions; a single scalar counts as a one-item list."""
        if value is None:
            return []
        if isinstance(value, YList):
            return [(item, value.item_at(i)) for i, item in enumerate(value)]
        if isinstance(value, str | int):
            return [(value, where)]
        self.error(where, f"{what} must be a list, not {_type_name(value)}", "wrong-type")
        return []

    # -- scalars --------------------------------------------------------------------------
    def text(self, m: YMap, key: str, what: str, *, required: bool = False) -> str | None:
        value = m.get(key)
        if value is None:
            if required:
                self.error(m.where, f"{what} needs '{key}'", "missing-field")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(
                m.value_at(key),
                f"'{key}' in {what} must be text, not {_type_name(value)}",
                "wrong-type",
            )
            return None
        text = str(value).strip()
        if required and not text:
            self.error(m.value_at(key), f"'{key}' in {what} is empty", "missing-field")
            return None
        return text

    def identifier(self, m: YMap, key: str, what: str, *, required: bool = True) -> str | None:
        value = self.text(m, key, what, required=required)
        if value is not None and not IDENTIFIER.match(value):
            self.error(
                m.value_at(key),
                f"'{value}' is not a valid id: use letters, digits, '_', '-' and '.'",
                "bad-id",
            )
            return None
        return value

    def boolean(self, m: YMap, key: str, what: str, default: bool = False) -> bool:
        value = m.get(key, default)
        if not isinstance(value, bool):
            self.error(m.value_at(key), f"'{key}' in {what} must be true or false", "wrong-type")
            return default
        return value

    def parsed(
        self, m: YMap, key: str, what: str, parse: Callable[[Any], T], *, required: bool = False
    ) -> T | None:
        """Run `parse` on a field, turning its InvalidValue into a positioned problem."""
        if m.get(key) is None:
            if required:
                self.error(m.where, f"{what} needs '{key}'", "missing-field")
            return None
        try:
            return parse(m[key])
        except InvalidValue as exc:
            self.error(m.value_at(key), f"{what}: {exc}", "bad-value")
        except Exception as exc:  # a parser's bug still names the value it choked on
            self.error(m.value_at(key), internal_message(f"{what} {key}", exc), INTERNAL_CODE)
        return None

    def pattern(
        self, value: Any, where: SourceRef, regex: re.Pattern[str], what: str, example: str
    ) -> str | None:
        if not isinstance(value, str) or not regex.match(value.strip()):
            self.error(
                where, f"{what} {value!r} is not valid; expected e.g. {example}", "bad-value"
            )
            return None
        return value.strip()


def notice_days(c: Collector, m: YMap, what: str) -> int | None:
    """`notice_days`: a whole number of days from 0 to MAX_NOTICE_DAYS, or None."""
    notice = m.get("notice_days")
    if notice is None:
        return None
    whole = isinstance(notice, int) and not isinstance(notice, bool)
    if not whole or not 0 <= notice <= MAX_NOTICE_DAYS:
        c.error(
            m.value_at("notice_days"),
            f"{what}: notice_days must be a whole number from 0 to {MAX_NOTICE_DAYS}",
            "wrong-type",
        )
        return None
    return int(notice)


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return _in_range(value).date()
    if isinstance(value, date):
        return _in_range(value)
    if isinstance(value, str) and len(value) < 40:
        try:
            return _in_range(date.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise InvalidValue(f"expected a date like 2026-01-05, got {_shown(value)}")


def _in_range(value: D) -> D:
    """Dates and times from 1900 to 2999: others are typos, and arithmetic near the ends of
    Python's calendar (years 1 and 9999) overflows."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidValue(f"{value.isoformat()} is not between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def internal_message(what: str, exc: BaseException) -> str:
    """The message of a problem that is demarc's bug, not the author's: what and why."""
    detail = str(exc) if len(str(exc)) <= 200 else str(exc)[:200] + "…"
    return f"internal error while reading {what}: {type(exc).__name__}: {detail}"


def parse_instant(value: Any) -> datetime:
    """An aware datetime; YAML timestamps without an offset are refused (ambiguous)."""
    if isinstance(value, str):
        try:
            if len(value) > 60:
                raise ValueError("too long")
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidValue(
                f"expected a time like 2026-12-24T09:00:00+01:00, got {_shown(value)}"
            ) from exc
    if not isinstance(value, datetime):
        raise InvalidValue(f"expected a date and time with offset, got {_shown(value)}")
    if value.tzinfo is None:
        raise InvalidValue(f"{value.isoformat()} has no UTC offset; add one, e.g. +00:00")
    return _in_range(value)


def positions(m: YMap) -> dict[str, SourceRef]:
    """Where each field was written: `key` (its value), `key[item]` for list items, and
    `key.sub` for the keys of a nested mapping (e.g. `raci.mlops`), for precise messages."""
    out: dict[str, SourceRef] = {}
    for key, value in m.items():
        out[key] = m.value_at(key)
        if isinstance(value, YList):
            for index, item in enumerate(value):
                if isinstance(item, str | int) and not isinstance(item, bool):
                    out.setdefault(f"{key}[{item}]", value.item_at(index))
        elif isinstance(value, YMap):
            for sub in value:
                out[f"{key}.{sub}"] = value.key_at(sub)
    return out
