"""Run a sweep's probes with SQL probes batched per database: one statement per ~100 tables.

SQL probes that name the same connection variable are split into batches
(`sql_batch.split`: enough of them to keep every worker busy); each batch is one job of the
parallel runner (`run_probes`), under the same overall deadline; HTTP probes stay one job
each. A batch still running at the deadline times out as a whole, like the probes it holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from bot.probes.runner import ProbeResult, run_probes
from bot.probes.sql_batch import BATCH_SIZE, split
from ownership.model import Probe, SqlProbe

Unit = list[tuple[str, Probe]]


def units(jobs: Sequence[tuple[str, Probe]], workers: int, size: int = BATCH_SIZE) -> list[Unit]:
    """The jobs as the runner's units: SQL batches per connection variable, the rest alone."""
    by_connection: dict[str, Unit] = {}
    out: list[Unit] = []
    for job_id, probe in jobs:
        if isinstance(probe, SqlProbe):
            by_connection.setdefault(probe.connection, []).append((job_id, probe))
        else:
            out.append([(job_id, probe)])
    for group in by_connection.values():
        out.extend(split(group, workers, size))
    return out


def run_batched(
    jobs: Sequence[tuple[str, Probe]],
    probe_one: Callable[[Probe], ProbeResult],
    probe_batch: Callable[[list[SqlProbe]], list[ProbeResult]],
    *,
    max_workers: int = 8,
    timeout: float = 60.0,
    size: int = BATCH_SIZE,
) -> dict[str, ProbeResult]:
    """`run_probes`, with the SQL probes of one connection batched; same result shape."""
    ids = [job_id for job_id, _ in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("run_batched: job ids must be unique")
    plan = units(jobs, max_workers, size)
    found: dict[str, ProbeResult] = {}
    lock = threading.Lock()

    def run_unit(unit: Unit) -> ProbeResult:
        if len(unit) == 1:
            return probe_one(unit[0][1])
        sql = [p for _, p in unit if isinstance(p, SqlProbe)]
        results = probe_batch(sql)
        with lock:
            found.update(zip((job_id for job_id, _ in unit), results, strict=True))
        return ProbeResult()

    outcome = run_probes(
        [(f"unit:{n}", unit) for n, unit in enumerate(plan)],
        run_unit,
        max_workers=max_workers,
        timeout=timeout,
    )
    with lock:
        done = dict(found)
    results: dict[str, ProbeResult] = {}
    for n, unit in enumerate(plan):
        whole = outcome[f"unit:{n}"]
        for job_id, _ in unit:
            # a single probe's own result; a batch's members', or its timeout or crash
            results[job_id] = whole if len(unit) == 1 or not whole.ok else done[job_id]
    return {job_id: results[job_id] for job_id in ids}
