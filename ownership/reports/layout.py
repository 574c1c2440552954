"""A small layered layout of the lineage graph: each asset's layer is its longest upstream
path, order within a layer by the mean position of its upstreams (one barycentre pass)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placed:
    id: str
    layer: int
    slot: int


def layers(upstream: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Longest path from a source; an upstream not in the map is ignored, a cycle cut."""
    depth: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(node: str) -> int:
        if node in depth:
            return depth[node]
        if node in visiting:
            return 0
        visiting.add(node)
        ups = [u for u in upstream.get(node, ()) if u in upstream]
        depth[node] = 1 + max((visit(u) for u in ups), default=-1)
        visiting.discard(node)
        return depth[node]

    for node in sorted(upstream):
        visit(node)
    return depth


def place(upstream: Mapping[str, Sequence[str]]) -> list[Placed]:
    """Every node with its layer and slot within the layer."""
    depth = layers(upstream)
    by_layer: dict[int, list[str]] = {}
    for node in sorted(depth):
        by_layer.setdefault(depth[node], []).append(node)
    slot: dict[str, int] = {}
    for layer in sorted(by_layer):
        nodes = by_layer[layer]

        def centre(node: str) -> float:
            ups = [slot[u] for u in upstream.get(node, ()) if u in slot]
            return sum(ups) / len(ups) if ups else float("inf")

        nodes.sort(key=lambda n: (centre(n), n))
        for i, node in enumerate(nodes):
            slot[node] = i
    return [Placed(n, depth[n], slot[n]) for n in sorted(depth, key=lambda n: (depth[n], slot[n]))]
