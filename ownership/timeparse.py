"""Human durations ("30 minutes", "1h30m", "PT30M"), wall-clock times ("02:00 UTC") and zones."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ownership.errors import InvalidValue

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}  # fmt: skip
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_ISO = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)
# Longer spans are refused: nobody means them, and date arithmetic on them overflows.
MAX_DURATION = timedelta(days=3660)
MAX_TEXT = 200  # longer values are not durations, times or zones; refuse before parsing
# IANA names: letters, digits, `_ + -`, segments joined by `/`; at most 64 characters (the
# longest real one has 32). Checked before ZoneInfo sees the name: it reads it as a file path.
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9][A-Za-z0-9_+\-]*){0,3}$")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_duration(text: object) -> timedelta:
    """Parse "30 minutes", "1h 30m", "2 days", "PT30M"; a bare number is minutes? No: rejected."""
    if isinstance(text, bool) or not isinstance(text, str):
        raise InvalidValue(f'expected a duration such as "30 minutes", got {text!r}')
    if len(text) > MAX_TEXT:
        raise InvalidValue(f"duration {_short(text)} is too long to be one")
    return _parse_duration(text)


@lru_cache(maxsize=4096)  # thousands of contract files say "24 hours" (errors are not kept)
def _parse_duration(text: str) -> timedelta:
    raw = text.strip().lower()
    iso = _ISO.match(raw.upper())
    if iso and raw not in ("p", "pt"):
        parts = {k: int(v) for k, v in iso.groupdict().items() if v}
        if parts:
            weights = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
            return _bounded(sum(weights[k] * v for k, v in parts.items()), text)
    cleaned = raw.replace(",", " ").replace(" and ", " ")
    pos, seconds = 0, 0.0
    matched = False
    for match in _PART.finditer(cleaned):
        if cleaned[pos : match.start()].strip():
            break
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise InvalidValue(f"unknown unit {match.group(2)!r} in duration {text!r}")
        seconds += float(match.group(1)) * unit
        pos, matched = match.end(), True
    if not matched or cleaned[pos:].strip():
        raise InvalidValue(f'cannot read duration {text!r}; write e.g. "30 minutes" or "2h"')
    return _bounded(seconds, text)


def _bounded(seconds: float, text: str) -> timedelta:
    """`seconds` as a positive timedelta no longer than MAX_DURATION."""
    if not seconds > 0:  # also NaN
        raise InvalidValue(f"duration {text!r} must be positive")
    if seconds > MAX_DURATION.total_seconds():
        raise InvalidValue(f"duration {text!r} is longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def format_instant(at: datetime, reference: datetime) -> str:
    """An instant for a message, in UTC, zero-padded: "02:13 UTC" on `reference`'s day,
    "Nov 24 02:13 UTC" in its year, "Nov 24, 2025 02:13 UTC" in another year."""
    at, ref = at.astimezone(UTC), reference.astimezone(UTC)
    if at.date() == ref.date():
        return at.strftime("%H:%M UTC")
    if at.year == ref.year:
        return at.strftime("%b %d %H:%M UTC")
    return at.strftime("%b %d, %Y %H:%M UTC")


def format_lateness(delta: timedelta) -> str | None:
    """How late, in steps that stay true while it grows and change rarely (a message saying it
    is edited only when the step changes): None under an hour, "over 3 h", "over 2 days"."""
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return None
    if hours < 48:
        return f"over {hours} h"
    return f"over {hours // 24} days"


def _short(text: str, limit: int = 40) -> str:
    """`text` quoted, cut to `limit` characters: a huge value never floods a message."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} chars)"


def format_duration(delta: timedelta) -> str:
    """Short human form: "47 min", "2 h 5 min", "3 d 4 h"."""
    total = int(abs(delta).total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{total} s"


def zone(name: object) -> ZoneInfo:
    """The IANA zone `name`; "UTC"/"Z"/"GMT" are accepted spellings of UTC.

    Any other value raises InvalidValue: ZoneInfo treats the name as a path under the tz
    database and raises ValueError, OSError (name too long, a directory …) or KeyError.
    """
    if not isinstance(name, str):
        raise InvalidValue(f"expected a timezone such as Europe/Berlin, got {name!r}")
    return _zone(name)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        name = "UTC"
    unknown = f"unknown timezone {_short(name)}; use an IANA name like Europe/Berlin"
    if len(name) > 64 or not _ZONE_NAME.match(name):
        raise InvalidValue(unknown)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, KeyError) as exc:
        raise InvalidValue(unknown) from exc


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_clock(text: object) -> time:
    """ "HH:MM" or "HH:MM:SS"; an unquoted YAML 09:00 (the sexagesimal integer 540) too."""
    if isinstance(text, int) and not isinstance(text, bool) and 0 <= text < 24 * 60:
        text = f"{text // 60:02d}:{text % 60:02d}"
    if not isinstance(text, str):
        raise InvalidValue(f'expected a time of day such as "09:00", got {text!r}')
    match = _CLOCK.match(text.strip()) if len(text) <= MAX_TEXT else None
    if not match:
        raise InvalidValue(f'cannot read time {_short(text)}; write it as HH:MM, e.g. "02:00"')
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidValue(f"impossible time {text!r}")
    return time(hour, minute, second)


def parse_update_time(
    text: object, default_zone: str | None = None
) -> tuple[int | None, time, str]:
    """Parse "02:00 UTC", "Mon 06:00 Europe/Berlin", ":15" (hourly) -> (weekday, time, zone)."""
    if isinstance(text, int) and not isinstance(text, bool):
        # YAML 1.1 reads an unquoted 02:00 as the sexagesimal integer 120.
        text = f"{text // 60:02d}:{text % 60:02d}"
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        shown = _short(text) if isinstance(text, str) else repr(text)
        raise InvalidValue(f'expected a time such as "02:00 UTC", got {shown}')
    words = text.split()
    weekday: int | None = None
    if words and words[0].lower().rstrip(",") in _weekday_names():
        weekday = _weekday_names()[words[0].lower().rstrip(",")]
        words = words[1:]
    if not words:
        raise InvalidValue(f"no time of day in {text!r}")
    clock = words[0]
    if clock.startswith(":"):
        clock = "00" + clock
    at = parse_clock(clock)
    if len(words) > 2:
        raise InvalidValue(f'cannot read time {text!r}; write e.g. "02:00 UTC"')
    tz = words[1] if len(words) == 2 else default_zone
    if tz is None:
        raise InvalidValue(f'time {text!r} has no timezone; write e.g. "{clock} UTC"')
    zone(tz)
    return weekday, at, "UTC" if tz.upper() in ("UTC", "Z", "GMT", "ETC/UTC") else tz


@lru_cache(maxsize=1)
def _weekday_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for index, day in enumerate(WEEKDAYS):
        names[day] = index
        names[day[:3]] = index
    return names


def zone_key(name: object) -> str:
    """The canonical key of timezone `name` ("UTC" for its spellings); InvalidValue otherwise."""
    return zone(name).key
