"""Pause points in long registry work, so that a reload can give way to answers.

CPython runs one thread's Python at a time. A reload (~0.5 s of CPU on 50k assets, even when
one file changed) that keeps running while a request is answered takes every other slice of
the interpreter from it: the answer takes about twice as long. The loader, the validation and
the indexes therefore run their long loops through `paced(items)`, and call `checkpoint()`
between their steps. With no pause installed (the CLI, the first load, tests) both cost
nothing. A reload installs one with `pausing(pause)` (the bot's `bot.registry.gate`): every
`EVERY` items, `pause()` runs, and may wait while requests are being answered.

The pause is kept in a context variable: it applies to the thread (and context) that
installed it, never to the request threads reading the registry meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
Pause = Callable[[], None]

EVERY = 200  # items between pauses: a fraction of a millisecond of the loops paced here
_pause: ContextVar[Pause | None] = ContextVar("demarc_pause", default=None)


def paced(items: Iterable[T], every: int = EVERY) -> Iterable[T]:
    """`items`, with the installed pause run after every `every` of them; `items` itself
    when no pause is installed."""
    pause = _pause.get()
    if pause is None:
        return items
    return _paced(iter(items), pause, every)


def _paced(items: Iterator[T], pause: Pause, every: int) -> Iterator[T]:
    while chunk := list(islice(items, every)):
        yield from chunk
        pause()


def active() -> bool:
    """Whether a pause is installed here (for work that paces itself, such as the composer)."""
    return _pause.get() is not None


def same_items(old: Sequence[object], new: Iterable[object], every: int = 1000) -> bool:
    """Whether `new` yields exactly the items of `old`, compared `every` at a time with the
    pause between, and without building `new` whole: when equal, the caller keeps `old`, so
    neither a 50k-item list is built nor one freed in one go (~10 ms holding the interpreter)."""
    items = iter(new)
    for start in range(0, len(old), every):
        if list(islice(items, every)) != list(old[start : start + every]):
            return False
        checkpoint()
    return next(items, _END) is _END


_END = object()


def checkpoint() -> None:
    """A pause between two steps of long work (a no-op when none is installed)."""
    pause = _pause.get()
    if pause is not None:
        pause()


@contextmanager
def pausing(pause: Pause) -> Iterator[None]:
    """Run the body with `pause` installed for this context."""
    token = _pause.set(pause)
    try:
        yield
    finally:
        _pause.reset(token)
