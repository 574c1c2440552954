"""`demarc check` on an event-relative SLA: it records nothing, so the upstream's landing is
read from the same run's probes (the upstream is probed too when it was not asked for)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.probes import ProbeResult
from ownership.model import Contract, Probe, Registry


def upstream_jobs(registry: Registry, contracts: Iterable[Contract]) -> list[tuple[str, Probe]]:
    """The probes of the upstreams the event-relative SLAs follow, not selected already."""
    chosen = list(contracts)
    have = {c.id for c in chosen}
    jobs: list[tuple[str, Probe]] = []
    for c in chosen:
        up = registry.contracts.get(c.after.after) if c.after is not None else None
        if up is not None and up.probe is not None and up.id not in have:
            have.add(up.id)
            jobs.append((up.id, up.probe))
    return jobs


def upstream_read(
    contract: Contract, results: dict[str, ProbeResult]
) -> tuple[datetime | None, str | None]:
    """The upstream's newest landing as this run's probe read it, and, when there is none,
    what to say instead of "on time"."""
    if contract.after is None:
        return None, None
    name = contract.after.after
    result = results.get(name)
    if result is not None and result.error is None and result.last_update is not None:
        return result.last_update, None
    if result is None:
        why = "it has no probe"
    elif result.error is not None:
        why = f"its check failed: {result.error}"
    else:
        why = "it has no data yet"
    return None, f"waiting for upstream {name} to land ({why}); nothing is due before"
