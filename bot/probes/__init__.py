"""Probes read the newest timestamp of a contract's data; they never raise, they report.

`Prober(os.environ).probe(contract.probe)` gives a `ProbeResult`; `run_probes` runs many in
parallel under one deadline. See `bot.probes.sql` and `bot.probes.http` for the details.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from bot.probes.http import HttpProber
from bot.probes.runner import ProbeResult, elapsed, one_line, run_probes
from bot.probes.sql import SqlProber
from ownership.model import HttpProbe, Probe, SqlProbe

__all__ = ["HttpProber", "ProbeResult", "Prober", "SqlProber", "run_probes"]


class Prober:
    """One entry point for every probe kind; owns the SQL engines and the HTTP client."""

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        statement_timeout: float = 30.0,
        http_timeout: float = 10.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.sql = SqlProber(environ, statement_timeout=statement_timeout)
        self.http = HttpProber(environ, client=http_client, timeout=http_timeout)

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

    def close(self) -> None:
        try:
            self.sql.close()
        finally:
            self.http.close()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
