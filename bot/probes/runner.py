"""The probe result type, timestamp normalisation shared by the probes, and the parallel runner.

A hung probe keeps its worker thread until its own timeout (statement_timeout, HTTP timeout)
fires: Python cannot kill a thread. The runner stops *waiting* for it at the overall deadline,
so one slow warehouse never delays the report on the others, and its workers are daemon
threads, so a hung probe never keeps the process alive either.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

# Epoch numbers above this are taken as milliseconds (1e11 s would be the year 5138).
_EPOCH_MS_THRESHOLD = 1e11
_MESSAGE_LIMIT = 200

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a probe saw: the newest data timestamp and, if the source tells, its own clock."""

    last_update: datetime | None = None
    source_now: datetime | None = None
    error: str | None = None
    duration: timedelta = timedelta(0)

    @property
    def ok(self) -> bool:
        return self.error is None


class TimestampError(ValueError):
    """A value that cannot be read as a point in time; the message is safe to show."""


def to_utc(value: object, naive_zone: ZoneInfo) -> datetime | None:
    """Normalise a timestamp value to an aware UTC datetime; None stays None.

    Accepts aware/naive datetimes, dates (midnight), ISO-8601 strings (`Z` allowed) and epoch
    numbers (seconds; milliseconds when larger than 1e11). Naive values are wall-clock time in
    `naive_zone` (an ambiguous DST hour resolves to its first occurrence).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        moment = _parse_iso(value)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _from_epoch(float(value))
    else:
        raise TimestampError(f"unsupported timestamp type {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=naive_zone)
    return moment.astimezone(UTC)


def _parse_iso(text: str) -> datetime:
    raw = text.strip()
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return _from_epoch(float(raw))  # SQLite may hand back "1718000000" from a TEXT column
    except (ValueError, TimestampError):
        pass
    raise TimestampError(f"cannot read timestamp {_clip(raw, 40)!r} (expected ISO-8601)")


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise TimestampError("timestamp is not a finite number")
    if abs(seconds) > _EPOCH_MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise TimestampError(f"epoch timestamp {seconds:g} is out of range") from exc


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    """The first non-empty line of `text`, clipped: error messages go into Slack messages."""
    for line in text.splitlines():
        if line.strip():
            return _clip(line.strip(), limit)
    return ""


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def elapsed(start: float, clock: Callable[[], float] = time.monotonic) -> timedelta:
    return timedelta(seconds=max(0.0, clock() - start))


def _guarded(
    probe_fn: Callable[[P], ProbeResult], probe: P, clock: Callable[[], float]
) -> ProbeResult:
    """Run one probe; a probe function that raises still yields a result, never a lost job."""
    start = clock()
    try:
        return probe_fn(probe)
    except Exception as exc:  # a crashing probe must not take down the run
        message = one_line(f"{type(exc).__name__}: {exc}")
        return ProbeResult(error=f"probe crashed: {message}", duration=elapsed(start, clock))


_run = threading.local()  # the deadline of the run_probes call this worker thread serves


def remaining(default: float) -> float:
    """Seconds a probe in this thread may take: `default`, cut to what is left of its
    `run_probes` deadline (a probe that started late must not outlast the run)."""
    deadline: float | None = getattr(_run, "deadline", None)
    if deadline is None:
        return default
    return max(0.001, min(default, deadline - time.monotonic()))


def run_probes(
    jobs: Sequence[tuple[str, P]],
    probe_fn: Callable[[P], ProbeResult],
    *,
    max_workers: int = 8,
    timeout: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, ProbeResult]:
    """Probe every job with at most `max_workers` at once; return by `timeout` seconds at most.

    Jobs not finished by the deadline (running or still queued) are reported as timed out and
    not waited for; queued ones never start. The workers are daemon threads, so a probe that
    hangs keeps neither the caller nor the process (`demarc check` exits at its deadline).
    `clock` only measures durations. Job ids must be unique.
    """
    ids = [job_id for job_id, _ in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("run_probes: job ids must be unique")
    if max_workers < 1:
        raise ValueError("run_probes: max_workers must be at least 1")
    if not jobs:
        return {}
    start = clock()
    queue = deque(jobs)
    results: dict[str, ProbeResult] = {}
    finished = threading.Condition()
    stopped = False

    deadline = time.monotonic() + max(0.0, timeout)

    def work() -> None:
        _run.deadline = deadline
        while True:
            with finished:
                if stopped or not queue:
                    return
                job_id, probe = queue.popleft()
            result = _guarded(probe_fn, probe, clock)
            with finished:
                results[job_id] = result
                finished.notify_all()

    for n in range(min(max_workers, len(jobs))):
        threading.Thread(target=work, name=f"demarc-probe-{n}", daemon=True).start()
    with finished:
        finished.wait_for(lambda: len(results) == len(jobs), timeout=max(0.0, timeout))
        stopped = True  # queued jobs are not started any more
        done = dict(results)
    late = f"timed out after {format_seconds(timeout)}"
    return {
        job_id: done.get(job_id) or ProbeResult(error=late, duration=elapsed(start, clock))
        for job_id in ids
    }
