"""Jobs that run every few minutes in a thread of their own: change notices, schema drift.

Each job runs once right away, then every `interval` seconds, until `stop` is set; a failing
run is logged and the next one comes as planned. Replicas may all run them: the jobs dedupe
in the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float
    run: Callable[[], object]


def run_periodic(jobs: Sequence[Job], stop: threading.Event, tick: float = 1.0) -> None:
    due = {job.name: 0.0 for job in jobs}
    while not stop.is_set():
        now = time.monotonic()
        for job in jobs:
            if now >= due[job.name]:
                due[job.name] = now + job.interval
                try:
                    job.run()
                except Exception:
                    log.exception("%s failed; trying again in %.0f s", job.name, job.interval)
        stop.wait(tick)
