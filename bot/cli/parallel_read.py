"""A cold CLI load uses the machine's second core: to read its registry files, and to write
the parse cache after.

`demarc check` in CI runs on a fresh clone, with no parse cache: reading thousands of small
YAML files (~0.5 ms each) is then most of its time. With at least `MIN_FILES` files to read,
and nothing but this thread running (forking a threaded process is unsafe), a forked child
reads half of them and sends its readings back pickled through a pipe (the same objects the
parse cache stores), while this process reads the other half. If the child fails in any way,
the loader reads its half itself: the result never depends on the child. Not for
`demarc serve`, whose reloads run beside other threads and read few files.

The parse cache is then written by a forked child too (`forked_write`): pickling thousands of
readings on a thread would hold the interpreter the probe threads need meanwhile.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable

from ownership.load_cache import FileRead
from ownership.loader import read_file

MIN_FILES = 300  # below this, forking and the pickles cost about what they save
PARENT_SHARE = 0.56  # of the files, read here: this process also unpickles the child's


def forked_reads(missing: list[tuple[str, str]]) -> dict[str, FileRead]:
    """`read_file` of `missing` (file, name) pairs, half of them in a child process; {} when
    not worth it or not possible here (the loader then reads them all itself)."""
    if len(missing) < MIN_FILES or not can_fork():
        return {}
    split = len(missing) - int(len(missing) * PARENT_SHARE)
    theirs, mine = missing[:split], missing[split:]
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: read, send, leave without running the parent's exit handlers
        status = 1
        try:
            os.close(readable)
            data = pickle.dumps([(f, read_file(f, n)) for f, n in theirs], pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writable, "wb") as sink:
                sink.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(writable)
    out = {file: read_file(file, name) for file, name in mine}
    with os.fdopen(readable, "rb") as source:
        data = source.read()
    _, status = os.waitpid(pid, 0)
    if status == 0:
        try:
            out.update(pickle.loads(data))  # noqa: S301 - our own child, through our own pipe
        except Exception:  # a truncated or foreign payload: the loader reads that half
            return out
    return out


def can_fork() -> bool:
    """Forking is possible and safe here: a second CPU, and no other thread running."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and threading.active_count() == 1


def forked_write(write: Callable[[], object]) -> int | None:
    """Run `write` in a forked child; its pid (to wait for), or None when this process must
    run it itself (`can_fork` says no, or the fork failed)."""
    if not can_fork():
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        status = 1
        try:
            write()
            status = 0
        finally:
            os._exit(status)
    return pid
