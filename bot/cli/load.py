"""Loading the registry a command names: the path, its problems as lines, usage errors."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.cli.exit_codes import UsageError
from bot.cli.parallel_read import forked_reads, forked_write
from bot.settings import registry_path
from ownership.errors import Problem
from ownership.loader import LoadResult, guarded_load
from ownership.parse_cache import cache_file, changed, read_cache, write_cache
from ownership.root_causes import knock_on_summary, roots

NOT_LOADABLE = ("not-found", "empty-registry")  # the path itself is wrong: a usage error
_writers: list[threading.Thread] = []
_children: list[int] = []  # forked cache writers


def registry_arg(value: str | None) -> Path:
    """The registry directory: the argument, else $DEMARC_REGISTRY, else ./registry."""
    return registry_path(value)


def problem_lines(problems: list[Problem]) -> list[str]:
    """Root causes (parse errors first), then one note per failed file for what follows from
    it: a syntax error in teams.yaml is not buried under every "… is not a team"."""
    return [str(p) for p in roots(problems)] + [f"note: {s}" for s in knock_on_summary(problems)]


def unusable(path: Path, result: LoadResult) -> None:
    """A registry path that does not exist or holds no YAML is a usage error."""
    wrong = [p for p in result.errors if p.code in NOT_LOADABLE]
    if wrong:
        raise UsageError(
            f"{path}: {wrong[0].message} (give the registry directory, or set DEMARC_REGISTRY)"
        )


def cache_folder(environ: Mapping[str, str]) -> Path:
    """Where the parse cache lives: $DEMARC_CACHE_DIR, else $XDG_CACHE_HOME/demarc, else
    ~/.cache/demarc (outside the registry: a cache committed to its repository is not read)."""
    if environ.get("DEMARC_CACHE_DIR"):
        return Path(environ["DEMARC_CACHE_DIR"])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "demarc"


def cached_load(path: Path, *, use_cache: bool = True, **options: Any) -> LoadResult:
    """`guarded_load`, each file's reading kept on disk between runs (ownership.parse_cache):
    a run re-reads only the files that changed; same registry, same problems."""
    options.setdefault("prefetch", forked_reads)  # a cold load: two processes read the files
    if not use_cache or path.is_file() or not path.exists():
        return guarded_load(path, **options)
    where = cache_file(cache_folder(os.environ), path)
    cache = read_cache(where)
    result = guarded_load(path, cache=cache, **options)
    if changed(cache):  # written while the command runs (`check` waits on its probes)
        pid = forked_write(lambda: write_cache(where, cache))
        if pid is not None:
            _children.append(pid)
        else:
            writer = threading.Thread(target=write_cache, args=(where, cache), name="parse-cache")
            writer.start()
            _writers.append(writer)
    return result


def finish_cache_writes() -> None:
    """Wait for the parse cache writes `cached_load` started (`main` does, before exiting)."""
    while _writers:
        _writers.pop().join()
    while _children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_children.pop(), 0)


def load_or_explain(path: Path, *, lenient: bool = False, use_cache: bool = True) -> LoadResult:
    """The registry, loaded; a registry that does not load is a configuration error (exit 3):
    its problems go to stderr, then UsageError's line. `lenient` as `validate --lenient`;
    `use_cache` False (`--no-cache`) reads every file."""
    result = cached_load(path, use_cache=use_cache, lenient=True if lenient else None)
    if result.registry is None:
        unusable(path, result)
        for line in problem_lines(result.errors):
            print(line, file=sys.stderr)
        raise UsageError(
            f"{path}: the registry has {len(result.errors)} error(s); run `demarc validate {path}`"
        )
    return result
