"""Probes read the newest timestamp of a contract's data; they never raise, they report.

`Prober(os.environ).probe(contract.probe)` gives a `ProbeResult`; `run_probes` runs many in
parallel under one deadline. See `bot.probes.sql` and `bot.probes.http` for the details.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.probes.batch import run_batched
from bot.probes.runner import ProbeResult, elapsed, one_line, run_probes
from bot.probes.sql import SqlProber
from ownership.model import HttpProbe, Probe, SqlProbe

if TYPE_CHECKING:
    import httpx

    from bot.probes.http import HttpProber

__all__ = ["HttpProber", "ProbeResult", "Prober", "SqlProber", "make_prober", "run_probes"]


def __getattr__(name: str) -> Any:
    """`HttpProber` (and so httpx) is imported on first use: `demarc check` on SQL-only
    registries starts faster without it."""
    if name == "HttpProber":
        from bot.probes.http import HttpProber

        return HttpProber
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Prober:
    """One entry point for every probe kind; owns the SQL engines and the HTTP client."""

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        statement_timeout: float = 30.0,
        http_timeout: float = 10.0,
        http_client: httpx.Client | None = None,
        pool_size: int = 8,
    ) -> None:
        self.sql = SqlProber(environ, statement_timeout=statement_timeout, pool_size=pool_size)
        self._environ = environ
        self._http_client = http_client
        self._http_timeout = http_timeout
        self._http: HttpProber | None = None
        self._lock = threading.Lock()

    @property
    def http(self) -> HttpProber:
        """The HTTP prober, created (with its client) on first use."""
        with self._lock:
            if self._http is None:
                from bot.probes.http import HttpProber  # lazy: httpx only for HTTP probes

                self._http = HttpProber(
                    self._environ, client=self._http_client, timeout=self._http_timeout
                )
            return self._http

    def probe(self, p: Probe) -> ProbeResult:
        start = time.monotonic()
        try:
            if isinstance(p, SqlProbe):
                return self.sql.probe(p)
            if isinstance(p, HttpProbe):
                return self.http.probe(p)
        except Exception as exc:  # the probes promise not to raise; make sure
            message = one_line(f"{type(exc).__name__}: {exc}")
            return ProbeResult(error=f"probe crashed: {message}", duration=elapsed(start))
        kind = getattr(p, "kind", type(p).__name__)
        return ProbeResult(error=f"unknown probe kind {kind!r}", duration=elapsed(start))

    def run(
        self, jobs: Sequence[tuple[str, Probe]], *, max_workers: int = 8, timeout: float = 60.0
    ) -> dict[str, ProbeResult]:
        """Probe every job in parallel under one deadline, the SQL probes of one database
        batched (`bot.probes.batch`); by job id, like `run_probes`."""
        return run_batched(
            jobs, self.probe, self._probe_batch, max_workers=max_workers, timeout=timeout
        )

    def _probe_batch(self, probes: list[SqlProbe]) -> list[ProbeResult]:
        start = time.monotonic()
        try:
            return self.sql.probe_batch(probes)
        except Exception as exc:  # the probes promise not to raise; make sure
            message = one_line(f"{type(exc).__name__}: {exc}")
            return [ProbeResult(error=f"probe crashed: {message}", duration=elapsed(start))] * len(
                probes
            )

    def close(self) -> None:
        try:
            self.sql.close()
        finally:
            with self._lock:
                http, self._http = self._http, None
            if http is not None:
                http.close()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def make_prober(environ: Mapping[str, str], *, timeout: float, pool_size: int = 8) -> Prober:
    """The prober `serve` and `demarc check` share: a probe's own timeouts never outlast the
    sweep's deadline (`timeout` seconds). Here, not in `bot.bootstrap`, so `demarc check`
    does not import the serve wiring (alembic, Slack, the scheduler: seconds on a busy host)."""
    timeout = max(timeout, 0.001)
    return Prober(
        environ,
        pool_size=pool_size,
        statement_timeout=min(30.0, timeout),
        http_timeout=min(10.0, timeout),
    )
