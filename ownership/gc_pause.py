"""Pausing the cyclic garbage collector while code only allocates what it keeps.

Loading a registry, unpickling its cached readings or importing a command's modules makes
objects that live on; each collection meanwhile would walk all of them again (half of a
large registry's load time, ~40 ms of a `demarc check`'s start). Reference counting still
frees whatever is dropped.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection meanwhile; what survived moves to the oldest generation after,
    without the collection over all of it that the first allocation would otherwise start."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
