"""Upstream and downstream walks over asset lineage, and cycle detection."""

from __future__ import annotations

from ownership.model import Registry


def walk(
    registry: Registry,
    start: str,
    direction: str,
    max_depth: int = 10,
    limit: int | None = None,
) -> list[tuple[str, int]]:
    """Assets reachable from `start` ("up" or "down"), breadth first, each once, with depth.

    `limit` stops after that many (the nearest first): an answer that shows ten need not
    visit the thousands of assets a large lineage reaches.
    """
    seen = {start}
    frontier = [start]
    out: list[tuple[str, int]] = []
    for depth in range(1, max_depth + 1):
        nxt: list[str] = []
        for asset_id in frontier:
            if direction == "up":
                asset = registry.assets.get(asset_id)
                neighbours: tuple[str, ...] = asset.upstream if asset else ()
            else:
                neighbours = registry.downstream_of(asset_id)
            for n in neighbours:
                if n not in seen and n in registry.assets:
                    seen.add(n)
                    nxt.append(n)
                    out.append((n, depth))
                    if limit is not None and len(out) >= limit:
                        return out
        frontier = nxt
        if not frontier:
            break
    return out


def find_cycles(registry: Registry) -> list[list[str]]:
    """Each lineage cycle once, as a path that starts and ends at the same asset."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    cycles: list[list[str]] = []
    for root in sorted(registry.assets):
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            ups = [u for u in registry.assets[node].upstream if u in registry.assets]
            if index < len(ups):
                stack.append((node, index + 1))
                nxt = ups[index]
                if state.get(nxt) == 1:
                    cycles.append([*path[path.index(nxt) :], nxt])
                elif not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()
    return cycles
