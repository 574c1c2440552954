"""The probe runner: bounded, deadline-respecting parallelism; plus the Prober facade."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.probes import Prober, ProbeResult, run_probes
from bot.probes.runner import TimestampError, remaining, to_utc
from ownership.model import HttpProbe, Probe, SqlProbe

STAMP = datetime(2024, 5, 2, 9, 45, 12, tzinfo=UTC)


def sql(table: str) -> SqlProbe:
    return SqlProbe("WAREHOUSE_URL", table, "updated_at")


def stamp_for(p: Probe) -> ProbeResult:
    assert isinstance(p, SqlProbe)
    return ProbeResult(last_update=STAMP + timedelta(hours=len(p.table)))


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Blocks probes until the test ends, so no worker thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


def test_results_are_keyed_by_job_id_in_job_order() -> None:
    jobs = [("c", sql("ccc")), ("a", sql("a")), ("b", sql("bb"))]
    results = run_probes(jobs, stamp_for)
    assert list(results) == ["c", "a", "b"]
    assert results["a"].last_update == STAMP + timedelta(hours=1)
    assert results["c"].last_update == STAMP + timedelta(hours=3)
    assert all(r.ok for r in results.values())


def test_no_jobs_and_duplicate_ids() -> None:
    assert run_probes([], stamp_for) == {}
    with pytest.raises(ValueError, match="unique"):
        run_probes([("a", sql("x")), ("a", sql("y"))], stamp_for)


def test_hanging_probe_does_not_delay_the_others(gate: threading.Event) -> None:
    def probe_fn(p: Probe) -> ProbeResult:
        if isinstance(p, SqlProbe) and p.table == "hang":
            gate.wait(timeout=10)
        return stamp_for(p)

    jobs = [("hang", sql("hang")), ("one", sql("x")), ("two", sql("yy"))]
    began = time.monotonic()
    results = run_probes(jobs, probe_fn, max_workers=4, timeout=0.3)
    took = time.monotonic() - began
    assert 0.3 <= took < 1.5
    assert results["hang"].error == "timed out after 0.3 s"
    assert results["hang"].last_update is None
    assert results["hang"].duration >= timedelta(seconds=0.3)
    assert results["one"].ok
    assert results["two"].last_update == STAMP + timedelta(hours=2)


def test_jobs_queued_behind_a_hanging_probe_time_out_and_never_start(
    gate: threading.Event,
) -> None:
    started: list[str] = []

    def probe_fn(p: Probe) -> ProbeResult:
        assert isinstance(p, SqlProbe)
        started.append(p.table)
        gate.wait(timeout=10)
        return stamp_for(p)

    jobs = [("first", sql("first")), ("queued", sql("queued"))]
    results = run_probes(jobs, probe_fn, max_workers=1, timeout=0.2)
    assert results["first"].error == "timed out after 0.2 s"
    assert results["queued"].error == "timed out after 0.2 s"
    gate.set()
    time.sleep(0.05)  # give a (wrongly) uncancelled job the chance to start
    assert started == ["first"]


def test_a_hanging_probe_never_keeps_the_process_alive(gate: threading.Event) -> None:
    started = threading.Event()

    def hang(p: Probe) -> ProbeResult:
        started.set()
        gate.wait()
        return stamp_for(p)

    results = run_probes([("slow", sql("s"))], hang, timeout=0.2)
    assert started.is_set()
    assert results["slow"].error == "timed out after 0.2 s"
    workers = [t for t in threading.enumerate() if t.name.startswith("demarc-probe")]
    assert workers  # still blocked in the probe ...
    assert all(t.daemon for t in workers)  # ... but the interpreter exits without joining it


def test_a_probe_never_gets_more_time_than_is_left_of_its_run() -> None:
    budgets: list[float] = []

    def probe(p: Probe) -> ProbeResult:
        budgets.append(remaining(30.0))  # e.g. its statement timeout
        return stamp_for(p)

    run_probes([(f"j{i}", sql("t" * i)) for i in range(1, 5)], probe, max_workers=1, timeout=2.0)
    assert len(budgets) == 4
    assert all(0 < budget <= 2.0 for budget in budgets)
    assert budgets == sorted(budgets, reverse=True)  # later probes get what is left
    assert remaining(30.0) == 30.0  # outside a run: the probe's own timeout


def test_concurrency_never_exceeds_max_workers() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    barrier = threading.Barrier(3, timeout=2)  # proves three really run at the same time

    def probe_fn(p: Probe) -> ProbeResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            barrier.wait()
            time.sleep(0.01)
        finally:
            with lock:
                running -= 1
        return stamp_for(p)

    jobs = [(f"job{i}", sql("t" * (i + 1))) for i in range(9)]
    results = run_probes(jobs, probe_fn, max_workers=3, timeout=10)
    assert all(r.ok for r in results.values()), results
    assert peak == 3


def test_a_raising_probe_function_becomes_an_error_result() -> None:
    def probe_fn(p: Probe) -> ProbeResult:
        if isinstance(p, SqlProbe) and p.table == "boom":
            raise RuntimeError("boom\nsecond line")
        return stamp_for(p)

    results = run_probes([("bad", sql("boom")), ("good", sql("g"))], probe_fn)
    assert results["bad"].error == "probe crashed: RuntimeError: boom"
    assert results["good"].ok


# ---------------------------------------------------------------------- Prober facade
@dataclass(frozen=True)
class OddProbe:
    kind: str = "ftp"


def test_prober_dispatches_on_kind() -> None:
    with Prober({"WAREHOUSE_URL": "sqlite://"}) as prober:
        missing = prober.probe(SqlProbe("NOT_SET", "t", "updated_at"))
        no_table = prober.probe(sql("no_such_table"))
        header = prober.probe(
            HttpProbe("http://127.0.0.1:9/", "json:x", (("Authorization", "env:NOT_SET"),))
        )
        odd = prober.probe(OddProbe())  # type: ignore[arg-type]
    assert missing.error == "environment variable NOT_SET is not set"
    assert no_table.error is not None
    assert no_table.error.startswith("database error: no such table")
    assert header.error == "environment variable NOT_SET is not set (header Authorization)"
    assert odd.error == "unknown probe kind 'ftp'"


def test_run_probes_with_the_prober() -> None:
    with Prober({}) as prober:
        results = run_probes([("x", sql("t"))], prober.probe, timeout=5)
    assert results["x"].error == "environment variable WAREHOUSE_URL is not set"


# ---------------------------------------------------------------------- timestamp values
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (datetime(2024, 7, 1, 14, 0), datetime(2024, 7, 1, 12, 0, tzinfo=UTC)),
        (datetime(2024, 1, 1, 14, 0), datetime(2024, 1, 1, 13, 0, tzinfo=UTC)),
        (datetime(2024, 7, 1, 14, 0, tzinfo=UTC), datetime(2024, 7, 1, 14, 0, tzinfo=UTC)),
        (date(2024, 7, 1), datetime(2024, 6, 30, 22, 0, tzinfo=UTC)),
        ("2024-07-01T14:00:00Z", datetime(2024, 7, 1, 14, 0, tzinfo=UTC)),
        ("2024-07-01 14:00:00.123456", datetime(2024, 7, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        (STAMP.timestamp(), STAMP),
        (int(STAMP.timestamp()) * 1000, STAMP),
        (Decimal(int(STAMP.timestamp())), STAMP),
        ("1714643112", STAMP),
    ],
)
def test_to_utc(value: object, expected: datetime | None) -> None:
    result = to_utc(value, BERLIN)
    assert result == expected
    if result is not None:
        assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [True, float("nan"), "next week", b"2024-01-01", 1e30])
def test_to_utc_rejects(value: object) -> None:
    with pytest.raises(TimestampError):
        to_utc(value, BERLIN)
