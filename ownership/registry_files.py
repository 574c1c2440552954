"""Which files make up a registry: every *.yaml / *.yml below its root, in a stable order."""

from __future__ import annotations

import os
from pathlib import Path

from ownership.pacing import checkpoint, paced

SUFFIXES = (".yaml", ".yml")


def registry_files(root: Path) -> list[Path]:
    return [Path(path) for path in registry_paths(root)]


def registry_paths(root: Path) -> list[str]:
    """`registry_files` as strings: a reload handles thousands, and most it does not read."""
    if root.is_file():
        return [str(root)]
    found: list[tuple[tuple[str, ...], str]] = []
    _scan(str(root), (), found)
    found.sort()  # Path order: by the parts below the root
    checkpoint()
    return [path for _, path in found]


def _scan(folder: str, parts: tuple[str, ...], found: list[tuple[tuple[str, ...], str]]) -> None:
    """Like rglob, without a stat or a Path per file (os.scandir knows the entry types)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in paced(entries, 50):
        name = entry.name
        if name.startswith("."):
            continue
        try:
            if entry.is_dir():  # follows symlinks, as os.walk's listing does
                if not entry.is_symlink():
                    _scan(entry.path, (*parts, name), found)
            elif name.endswith(SUFFIXES) and entry.is_file():
                found.append(((*parts, name), entry.path))
        except OSError:
            continue
