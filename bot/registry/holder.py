"""The registry the bot answers from: the last one that loaded without errors."""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.registry.gate import AnswerGate
from ownership.answers import prepare
from ownership.errors import Problem, RegistryInvalid
from ownership.load_cache import LoadCache
from ownership.loader import LoadResult, guarded_load, load_registry
from ownership.model import Registry
from ownership.pacing import pausing

Loader = Callable[[Path], LoadResult]
log = logging.getLogger(__name__)
# While a reload runs on its thread, a request thread waiting for the GIL gets it after this
# long instead of Python's 5 ms: a request waits for it several times (socket, Bolt, reply).
RELOAD_SWITCH_INTERVAL = 0.0002


class RegistryHolder:
    """Holds the current `Registry`; `reload()` swaps it only for one without errors.

    Readers take `registry` once per request and use that object throughout, so a reload in
    the middle of a request never mixes two registries. With the default loader a reload
    re-reads only the files that changed (`ownership.load_cache`), and the answers' indexes
    are built before the new registry is swapped in, so no request pays for them. While a
    reload runs, its loops give way to requests in progress (`gate`, `bot.registry.gate`).
    """

    def __init__(
        self,
        registry: Registry,
        *,
        path: Path | None = None,
        loader: Loader = load_registry,
        cache: LoadCache | None = None,
        gate: AnswerGate | None = None,
    ) -> None:
        self._registry = _prepared(registry)
        self.gate = gate if gate is not None else AnswerGate()
        self._path = path
        self.cache = cache if cache is not None else LoadCache()
        self._loader = (
            partial(load_registry, cache=self.cache) if loader is load_registry else loader
        )
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()  # one reload at a time; readers never wait on it
        self._problems: tuple[Problem, ...] = ()
        self._logger = _Logger()

    @classmethod
    def from_path(cls, path: str | Path, *, loader: Loader = load_registry) -> RegistryHolder:
        """Load `path`; raise `RegistryInvalid` (with every problem) when it has errors."""
        path = Path(path)
        cache = LoadCache()
        load = partial(load_registry, cache=cache) if loader is load_registry else loader
        result = guarded_load(path, load, on_error=_Logger().log)
        if result.registry is None:
            raise RegistryInvalid(result.problems)
        holder = cls(result.registry, path=path, loader=loader, cache=cache)
        holder._problems = tuple(result.problems)
        _settle()
        return holder

    @property
    def registry(self) -> Registry:
        with self._lock:
            return self._registry

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Errors and warnings of the last load or reload (errors mean it was not applied)."""
        with self._lock:
            return self._problems

    @property
    def path(self) -> Path | None:
        return self._path

    def reload(self) -> list[Problem]:
        """Load the files again; keep the current registry if the new one has errors."""
        if self._path is None:
            raise RuntimeError("this registry was not loaded from a path")
        with self._reload_lock:
            before = sys.getswitchinterval()
            sys.setswitchinterval(min(before, RELOAD_SWITCH_INTERVAL))
            try:
                with pausing(self.gate.pacer()):
                    result = guarded_load(self._path, self._loader, on_error=self._logger.log)
                    if result.registry is not None:
                        _prepared(result.registry, previous=self.registry)
            finally:
                sys.setswitchinterval(before)
            with self._lock:
                self._problems = tuple(result.problems)
                if result.registry is not None:
                    self._registry = result.registry
            if result.registry is not None:
                _settle()
        return list(result.problems)


class _Logger:
    """Logs a loader crash with its traceback once per distinct error, not on every poll."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def log(self, exc: Exception) -> None:
        key = f"{type(exc).__name__}: {exc}"
        if key not in self._seen:
            self._seen.add(key)
            log.error("internal error while loading the registry: %s", key, exc_info=exc)


def _prepared(registry: Registry, previous: Registry | None = None) -> Registry:
    """`registry` with its answer indexes built; a bug there costs a slow first answer only."""
    try:
        return prepare(registry, previous)
    except Exception as exc:
        log.error("internal error while indexing the registry: %s", exc, exc_info=exc)
        return registry


def _settle() -> None:
    """Move what exists now, the registry above all, out of the cyclic collector's way.

    A large registry is long-lived and acyclic (reference counting frees it after a reload),
    yet every full collection would walk it: ~0.5 s on 50k assets, paid by whichever request
    triggers it. Frozen objects are skipped (bench/b2_slash.py measures the effect).
    """
    gc.freeze()
