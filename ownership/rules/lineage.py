"""Lineage is a DAG: no asset is its own upstream, directly or through others."""

from __future__ import annotations

from ownership.lineage import find_cycles
from ownership.model import Asset
from ownership.rules.context import Problems, RuleContext, error


def upstream_is_not_itself(ctx: RuleContext, asset: Asset, up: str) -> Problems:
    """No asset lists itself as upstream (a cycle of one)."""
    if up == asset.id:
        yield error(
            asset.where(f"upstream[{up}]"),
            f"asset '{asset.id}' lists itself as upstream",
            "lineage-cycle",
        )


def lineage_has_no_cycles(ctx: RuleContext) -> Problems:
    """No chain of upstream links returns to where it started (longer than one asset)."""
    for cycle in find_cycles(ctx.registry):
        if len(cycle) > 2:  # [a, a] is upstream_is_not_itself
            first = ctx.registry.assets[cycle[0]]
            yield error(first.source, "lineage cycle: " + " -> ".join(cycle), "lineage-cycle")
