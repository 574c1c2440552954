"""The registry's parsed files on disk, so the next process re-reads only what changed.

Like dbt's partial parsing: each file's reading (its teams, assets, contracts and the problems
reading found: `load_cache.FileRead`) is stored keyed by the file's path, size, mtime_ns,
ctime_ns and inode, under the rule the in-process reload cache follows (a file modified
within `RACY_SECONDS` of being read is not stored: a second same-size write in the same
timestamp tick would go unseen). The cross-file checks run on every load, cached or not, so a
load with the cache gives the same registry and the same problems as one without.

The cache file starts with a key of the code that wrote it (the Python version, the size
and mtime of every module of this package, the mtime of the site-packages folders): an
upgraded or edited demarc, or upgraded libraries, ignore an old cache. A cache that is
missing, corrupt (a checksum guards it), unreadable, another user's or writable by others is
ignored (and rewritten); writing goes to a temporary file renamed over the old one, so
concurrent runs each see a whole cache, never an error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import sys
import tempfile
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ownership.gc_pause import paused_gc
from ownership.load_cache import LoadCache

RACY_SECONDS = 2.0
_MAGIC = b"demarc-parse-cache 1\n"
_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_key() -> bytes:
    """What invalidates every cache: this Python, this package's modules as installed, and
    the libraries' folders (installing or upgrading any package changes its folder's mtime:
    PyYAML, croniter and holidays also decide what a file reads as)."""
    digest = hashlib.sha256(sys.version.encode())
    for folder in sys.path:
        if folder.endswith(("site-packages", "dist-packages")) and os.path.isdir(folder):
            digest.update(f"{folder}:{os.stat(folder).st_mtime_ns}\n".encode())
    for folder, dirs, files in sorted(os.walk(_PACKAGE)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                where = os.path.relpath(os.path.join(folder, name), _PACKAGE)
                digest.update(f"{where}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest().encode() + b"\n"


def cache_file(folder: Path, registry: str | Path) -> Path:
    """The cache of the registry at `registry`, in `folder` (one file per registry path)."""
    name = hashlib.sha256(str(Path(registry).resolve()).encode()).hexdigest()[:20]
    return folder / f"registry-{name}.pickle"


def read_cache(path: Path) -> LoadCache:
    """The cache stored at `path`, or an empty one when there is none that can be trusted."""
    cache = LoadCache(racy_seconds=RACY_SECONDS)
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            if st.st_uid != os.getuid() or st.st_mode & 0o022:  # only a file this user owns
                return cache
            if handle.readline() != _MAGIC or handle.readline() != code_key():
                return cache
            check, payload = handle.readline(), handle.read()
        if check != _checksum(payload):  # a torn or damaged file
            return cache
        files = _unpickle(payload)
    except Exception:  # missing, unreadable, truncated, from other code: start afresh
        return cache
    if isinstance(files, dict):
        cache.files = files
        cache.loaded = len(files)
    return cache


def _checksum(payload: bytes) -> bytes:
    return b"%08x\n" % zlib.crc32(payload)


def _unpickle(payload: bytes) -> Any:
    """pickle.loads with the cyclic collector paused, as the loader does: the objects are all
    new and kept, and each collection would walk them all (a third of the time at 2,000)."""
    with paused_gc():
        return pickle.loads(payload)  # noqa: S301 - this user's own file, checked by the caller


class _Pickler(pickle.Pickler):
    """Frozen dataclasses with slots (SourceRef: ten per contract) as a call of the class with
    their fields: unpickling one is then its generated `__init__`, about half the time of
    the `__setstate__` dataclasses give them, which looks the fields up for every object."""

    def reducer_override(self, obj: Any) -> Any:
        cls = type(obj)
        if cls not in _FIELDS:
            _FIELDS[cls] = _init_fields(cls)
        fields = _FIELDS[cls]
        if fields is None:
            return NotImplemented
        return type(obj), tuple(getattr(obj, name) for name in fields)


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _init_fields(cls: type) -> tuple[str, ...] | None:
    """The fields `cls(*values)` rebuilds exactly, or None: only a slotted dataclass whose
    `__init__` is the generated one, takes every field and runs no `__post_init__`."""
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        return None
    init = getattr(cls.__init__, "__code__", None)
    if init is None or init.co_filename != "<string>" or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    return tuple(f.name for f in fields) if all(f.init for f in fields) else None


def changed(cache: LoadCache) -> bool:
    """Whether the last load read a file or dropped one: what is on disk is out of date."""
    return bool(cache.last_read) or len(cache.files) != cache.loaded


def write_cache(path: Path, cache: LoadCache) -> bool:
    """Store `cache`'s file readings at `path` when the last load changed them; True when
    written. Never raises: a cache that cannot be written only makes the next run slower."""
    if not changed(cache):
        return False
    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(cache.files)
        payload = buffer.getvalue()
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + code_key() + _checksum(payload) + payload)
        os.replace(tmp, path)
        return True
    except Exception:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
