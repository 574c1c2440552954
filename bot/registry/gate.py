"""Answers before reloads: a reload pauses while requests are being answered.

A reload runs on its own thread, and in CPython only one thread runs Python at a time: while
both want the interpreter they take turns every switch interval, so a request answered during
a reload took about twice as long (bench/b2_slash.py, scenario `reload`). `AnswerGate` counts
the requests in progress (`answering()`, around every HTTP request and every Bolt dispatch);
the reload's loops pause at their `ownership.pacing` points while any other thread is
answering, and the answer runs alone.

A reload must still finish under constant load: its pauses are bounded by a budget. It never
waits, in all, more than it has run plus `slack` seconds, so it keeps at least about half the
interpreter however busy the bot is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class AnswerGate:
    """Requests in progress, per thread; `pacer()` makes the pause a reload installs."""

    def __init__(self, *, slack: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self._busy: dict[int, int] = {}  # thread id -> requests it is answering (nested)
        self._changed = threading.Condition(threading.Lock())
        self._slack = slack
        self._clock = clock
        self.pauses = 0  # times a reload gave way (tests, benchmarks)
        self.waiting = 0  # reloads giving way now

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count the body as a request in progress on this thread."""
        me = threading.get_ident()
        with self._changed:
            self._busy[me] = self._busy.get(me, 0) + 1
        try:
            yield
        finally:
            with self._changed:
                left = self._busy[me] - 1
                if left:
                    self._busy[me] = left
                else:
                    del self._busy[me]
                    if not self._busy:
                        self._changed.notify_all()

    def busy(self) -> int:
        """Threads answering now."""
        with self._changed:
            return len(self._busy)

    def await_pause(self, timeout: float) -> bool:
        """Block until a reload is giving way (False after `timeout` seconds): for tests."""
        with self._changed:
            return self._changed.wait_for(lambda: self.waiting > 0, timeout)

    def pacer(self) -> Pacer:
        """A pause for one reload (`ownership.pacing.pausing`), with its own budget."""
        return Pacer(self)


class Pacer:
    """Waits while another thread is answering, within the reload's budget."""

    def __init__(self, gate: AnswerGate) -> None:
        self._gate = gate
        self._me = threading.get_ident()
        self._started = gate._clock()
        self.waited = 0.0  # seconds this reload gave way (for tests and benchmarks)

    def __call__(self) -> None:
        gate = self._gate
        if not gate._busy:  # the common case, read without the lock: a stale answer costs
            return  # at most one pause point (a fraction of a millisecond)
        with gate._changed:
            while self._others_busy():
                ran = gate._clock() - self._started - self.waited
                allowed = ran + gate._slack - self.waited
                if allowed <= 0:
                    return
                before = gate._clock()
                gate.pauses += 1
                gate.waiting += 1
                gate._changed.notify_all()  # for whoever waits to see a reload give way
                try:
                    woken = gate._changed.wait(allowed)
                finally:
                    gate.waiting -= 1
                self.waited += gate._clock() - before
                if not woken:  # its allowance is spent: go on
                    return

    def _others_busy(self) -> bool:
        busy = self._gate._busy
        return len(busy) > 1 or (bool(busy) and self._me not in busy)
