"""Per-channel pacing of one worker's Slack calls, shared by the threads that send them.

A channel is free when nothing of it is in flight and its interval since the *start* of its
last call has passed (or the `Retry-After` Slack gave has). Spacing call starts, not answers,
is what keeps one call per interval reaching Slack however slow its answers are.

A method can be held too: `chat.update` has a workspace-wide tier besides the channel limit,
so a 429 on an edit holds every edit, while new alerts (posts) keep going.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta


class Pacer:
    """Thread-safe: the round's thread takes channels, the senders' threads release them."""

    def __init__(self, interval: timedelta) -> None:
        self.interval = interval
        self._free_at: dict[str, datetime] = {}  # channel -> earliest next call
        self._busy: set[str] = set()  # channels with a call in flight
        self._methods: dict[str, datetime] = {}  # method -> no call before
        self._lock = threading.Lock()

    def free(self, channels: Iterable[str], now: datetime) -> bool:
        """None of `channels` is in flight or within its interval at `now`."""
        with self._lock:
            return all(
                c not in self._busy and not (c in self._free_at and now < self._free_at[c])
                for c in channels
            )

    def take(self, channels: Iterable[str], now: datetime) -> bool:
        """Mark `channels` in flight if they are all free; False (nothing marked) if not."""
        wanted = set(channels)
        with self._lock:
            if any(c in self._busy or (c in self._free_at and now < self._free_at[c])
                   for c in wanted):
                return False
            self._busy |= wanted
            return True

    def started(self, channels: Iterable[str], at: datetime) -> None:
        """A call to `channels` starts at `at`: the next may start one interval later."""
        with self._lock:
            for channel in channels:
                self._free_at[channel] = max(self._free_at.get(channel, at), at + self.interval)

    def hold(self, channel: str, until: datetime) -> None:
        """Slack said wait (`Retry-After`): nothing to `channel` before `until`."""
        with self._lock:
            self._free_at[channel] = max(self._free_at.get(channel, until), until)

    def hold_method(self, method: str, until: datetime) -> None:
        """Slack said wait to a method with a workspace-wide limit: none of it before `until`."""
        with self._lock:
            self._methods[method] = max(self._methods.get(method, until), until)

    def method_free(self, method: str, now: datetime) -> bool:
        with self._lock:
            return not (method in self._methods and now < self._methods[method])

    def done(self, channels: Iterable[str]) -> None:
        with self._lock:
            self._busy -= set(channels)

    def next_free(self, channels: Iterable[str], *, after: datetime) -> datetime | None:
        """The earliest time after `after` that one of `channels` not in flight is free
        again; None when none of them is paced (or all are in flight)."""
        with self._lock:
            times = [
                self._free_at[c]
                for c in channels
                if c not in self._busy and c in self._free_at and self._free_at[c] > after
            ]
            times += [until for until in self._methods.values() if until > after]
        return min(times) if times else None
