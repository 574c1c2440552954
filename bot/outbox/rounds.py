"""The shape of one delivery round: look at the due rows, start sends, wait, look again.

A round looks at the due rows when it starts and, while its budget lasts, again whenever a
channel it sent to comes free (its interval since the call's start has passed) or one it
passed over for pacing does; channels coming free within `GATHER` of each other share one
look, so a busy outbox costs one query per burst, not one per answer. With every sending
thread busy it waits for one to finish first: new sends would only queue.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import datetime, timedelta

GATHER = timedelta(milliseconds=50)  # a channel may wait this long past its interval

InFlight = dict[Future[int], set[str]]  # each send and the channels it paces


def run_round(
    *,
    began: datetime,
    deadline: datetime,
    concurrency: int,
    dispatch: Callable[[InFlight], datetime | None],
    next_free: Callable[[set[str], datetime], datetime | None],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> int:
    """Messages Slack accepted. `dispatch` starts sends and says when to look again;
    `next_free` says when channels that were just sent to may take their next message."""
    delivered = 0
    in_flight: InFlight = {}
    wake: datetime | None = began  # when to look at the due rows again
    while True:
        now = clock()
        if wake is not None and now >= wake and len(in_flight) < concurrency:
            wake = dispatch(in_flight)
            now = clock()
        if now >= deadline:
            break
        until = deadline if wake is None else min(max(wake, now) + GATHER, deadline)
        if in_flight:
            full = len(in_flight) >= concurrency
            timeout = (deadline if full else until) - now
            done, _ = wait(in_flight, timeout.total_seconds(), FIRST_COMPLETED)
            for future in done:
                delivered += future.result()
                free = next_free(in_flight.pop(future), now) or now  # it may have more
                wake = free if wake is None else min(wake, free)
        elif wake is None or wake > deadline:
            break
        else:
            sleep(max((until - now).total_seconds(), 0.0))
    return delivered + sum(future.result() for future in wait(in_flight).done)
