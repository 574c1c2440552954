"""What a reload may reuse: each file's reading, keyed by its stat, and the last validation.

A reload where one file changed re-reads that file; every other file's teams, assets and
contracts (and its problems) are the objects the last load made. A file is known unchanged by
its path, size, modification and change times and inode (an editor that replaces the file
gets a new inode; `git checkout` rewrites mtime). As git does, a file modified within
`racy_seconds` of being read is not cached: a second write in the same timestamp tick, of the
same size, would otherwise go unseen.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ownership.errors import Problem

StatKey = tuple[int, int, int, int]


@dataclass(frozen=True)
class FileRead:
    """One file's contribution: its parts (`ownership.assembly.Parts`) and the problems
    reading found."""

    parts: Any
    problems: tuple[Problem, ...]


@dataclass
class LoadCache:
    racy_seconds: float = 2.0
    files: dict[tuple[str, str], tuple[StatKey, FileRead]] = field(default_factory=dict)
    validation: Any = None  # ownership.validation_memo.ValidationMemo, set by the loader
    last_read: list[str] = field(default_factory=list)  # files read by the last load
    loaded: int = 0  # how many readings came from disk (ownership.parse_cache)
    # the last registry's lineage, [(asset id, upstream)], and its downstream index
    lineage: tuple[list[tuple[str, tuple[str, ...]]], dict[str, tuple[str, ...]]] | None = None

    def get(self, file: str, name: str) -> tuple[StatKey | None, FileRead | None]:
        """The file's stat key now and its cached reading if that key is unchanged."""
        key = stat_key(file)
        if key is None:
            return None, None
        found = self.files.get((file, name))
        return key, (found[1] if found is not None and found[0] == key else None)

    def put(self, file: str, name: str, key: StatKey | None, read: FileRead) -> None:
        self.last_read.append(name)
        racy = key is not None and time.time() - key[1] / 1e9 < self.racy_seconds
        if key is None or racy:
            self.files.pop((file, name), None)
        else:
            self.files[file, name] = (key, read)

    def begin(self) -> None:
        self.last_read = []

    def keep(self, present: set[tuple[str, str]]) -> None:
        """Forget files that are gone (deleted or renamed), so memory stays flat."""
        for gone in self.files.keys() - present:
            del self.files[gone]


def stat_key(file: str | Path) -> StatKey | None:
    try:
        st = os.stat(file)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
