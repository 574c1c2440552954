"""The lineage layout: every asset placed once, upstream to the left, cycles cut not looped."""

from __future__ import annotations

from ownership.reports.layout import layers, place


def test_layers_follow_the_longest_upstream_path() -> None:
    upstream = {"raw": (), "clean": ("raw",), "features": ("clean", "raw"), "model": ("features",)}
    assert layers(upstream) == {"raw": 0, "clean": 1, "features": 2, "model": 3}
    placed = place(upstream)
    assert sorted(p.id for p in placed) == sorted(upstream)
    assert len({(p.layer, p.slot) for p in placed}) == len(placed)  # no two in one spot


def test_a_cycle_or_an_unknown_upstream_does_not_hang_or_drop_a_node() -> None:
    upstream = {"a": ("b",), "b": ("a",), "c": ("elsewhere",)}
    placed = place(upstream)
    assert sorted(p.id for p in placed) == ["a", "b", "c"]
