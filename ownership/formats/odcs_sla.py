"""An ODCS contract's `slaProperties`, read into demarc's SLAs: a deadline from
timeOfAvailability / frequency / schedule, an age limit from freshness / latency."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

from ownership.errors import InvalidValue
from ownership.formats.common import duration
from ownership.model import AgeSla, DeadlineSla, SourceRef
from ownership.periods import cron_problem
from ownership.read.fields import Collector
from ownership.timeparse import parse_update_time
from ownership.yamlsafe import YMap

_TIME = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:(Z|UTC)|([+-])(\d{2}):?(\d{2}))?$", re.IGNORECASE
)
_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)


def read_sla(
    c: Collector, doc: YMap, what: str
) -> tuple[DeadlineSla | None, AgeSla | None, str | None]:
    """Deadline from timeOfAvailability / frequency / schedule; age from freshness / latency."""
    ages: dict[str, timedelta] = {}
    period: timedelta | None = None
    times: list[tuple[time, str, SourceRef]] = []
    cron: str | None = None
    elements: dict[str, str] = {}
    for item, _ in c.items(doc.get("slaProperties"), doc.value_at("slaProperties"), what):
        if not isinstance(item, YMap) or not isinstance(item.get("property"), str):
            continue
        prop = item["property"].strip()
        key = prop.lower()
        if key not in ("latency", "freshness", "frequency", "timeofavailability"):
            continue  # retention, generalAvailability …: nothing demarc checks
        ctx = f"{what} slaProperties {prop}"
        if isinstance(item.get("element"), str) and item["element"].strip():
            elements.setdefault(key, item["element"].split(",")[0].strip())
        schedule = item.get("schedule")
        scheduler = str(item.get("scheduler") or "cron").lower()
        if isinstance(schedule, str) and scheduler == "cron" and key != "latency":
            problem = cron_problem(schedule)
            if problem is None:
                cron = cron or schedule.strip()
            else:
                c.error(item.value_at("schedule"), f"{ctx}: {problem}", "bad-value")
        if key == "timeofavailability":
            parsed = c.parsed(item, "value", ctx, _availability, required=True)
            if parsed is not None:
                times.append((parsed[0], parsed[1], item.value_at("value")))
            continue
        unit = item.get("unit")
        span = c.parsed(item, "value", ctx, lambda v: duration(v, unit))  # noqa: B023
        if span is None:
            continue
        if key == "frequency":
            period = span
        else:
            ages.setdefault(key, span)
    if isinstance(doc.get("slaDefaultElement"), str):
        elements.setdefault("default", doc["slaDefaultElement"].split(",")[0].strip())
    order = ("freshness", "latency", "timeofavailability", "frequency", "default")
    element = next((elements[k] for k in order if k in elements), None)
    deadline = _deadline(period, times, cron)
    limit = ages.get("freshness") or ages.get("latency")
    if limit is None and deadline is None and period is not None:
        limit = period  # "daily" with no time of day: an update older than a day is late
    age = AgeSla(None, limit) if limit is not None else None
    return deadline, age, element


def _deadline(
    period: timedelta | None, times: list[tuple[time, str, SourceRef]], cron: str | None
) -> DeadlineSla | None:
    if cron is not None:
        return DeadlineSla("cron", times[0][1] if times else "UTC", timedelta(0), cron=cron)
    if not times:
        return None
    # Several times of availability (one per driver): demarc checks the earliest promise.
    at, tz, _ = min(times, key=lambda t: (t[1] != "UTC", t[0]))
    if period in (None, _DAY):
        return DeadlineSla("daily", tz, timedelta(0), at)
    if period == _HOUR:
        return DeadlineSla("hourly", tz, timedelta(0), time(0, at.minute, at.second))
    return None  # weekly or odd periods: no fixed weekday to be due on; the age SLA applies


def _availability(value: Any) -> tuple[time, str]:
    """ "09:00-08:00" (an offset: read as UTC), "09:00Z", "06:00 Europe/Berlin" -> (time, zone)."""
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 9:00 as 540
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str):
        raise InvalidValue(f'expected a time of day such as "09:00-08:00", got {value!r}')
    match = _TIME.match(value.strip())
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InvalidValue(f"impossible time {value!r}")
        offset = 0
        if match[5]:
            offset = (int(match[6]) * 60 + int(match[7])) * (1 if match[5] == "+" else -1)
        minutes = (hour * 60 + minute - offset) % (24 * 60)
        return time(minutes // 60, minutes % 60, second), "UTC"
    weekday, at, tz = parse_update_time(value, "UTC")
    if weekday is not None:
        raise InvalidValue(f"{value!r}: a weekday is not supported in timeOfAvailability")
    return at, tz
