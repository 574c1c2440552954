"""Which checks must take the per-contract path although nothing about their own alert
changes: the batched quiet path (`bot.freshness.quiet`) posts no heads-up, so a check that
may post one goes one by one."""

from __future__ import annotations

from collections.abc import Iterable

from bot.freshness.quiet import Checked
from ownership.foresight import needs_heads_up_path
from ownership.lineage import walk
from ownership.model import Contract, Registry


def has_downstream_contract(registry: Registry, contract: Contract) -> bool:
    """A contract downstream of `contract`'s asset at any depth (assets without one pass)."""
    if not registry.downstream_of(contract.asset):
        return False
    return any(
        registry.contract_for(asset) is not None
        for asset, _ in walk(registry, contract.asset, "down", max_depth=50)
    )


def needs_own_path(registry: Registry, checked: Iterable[Checked]) -> set[str]:
    """Ids of the checks the batched paths must leave alone: those that may post a heads-up.
    A still-late check's downstream warnings and missed ETA are followed up for the whole
    sweep at once (`bot.freshness.predict_batch`)."""
    return {
        item.contract.id
        for item in checked
        if needs_heads_up_path(item.contract.sla, item.evaluation, item.now)
    }
