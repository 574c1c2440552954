"""Pause points: free without a pause, every item and the same result with one."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from ownership.loader import load_registry
from ownership.pacing import active, checkpoint, paced, pausing, same_items
from ownership.yaml_nodes import parse_yaml
from tests.conftest import EXAMPLE_REGISTRY


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def test_without_a_pause_paced_returns_the_items_themselves() -> None:
    items = [1, 2, 3]
    assert paced(items) is items
    assert not active()
    checkpoint()  # nothing installed: nothing happens


def test_paced_yields_every_item_in_order_and_pauses_after_each_chunk() -> None:
    pause = Counter()
    with pausing(pause):
        assert active()
        assert list(paced(range(10), 3)) == list(range(10))
    assert pause.calls == 4  # after 3, 6, 9 and the last 1
    assert not active()  # uninstalled after the block


def test_a_pause_belongs_to_the_thread_that_installed_it() -> None:
    seen: list[bool] = []
    with pausing(Counter()):
        other = threading.Thread(target=lambda: seen.append(active()))
        other.start()
        other.join()
    assert seen == [False]  # request threads never pause


def test_same_items_compares_without_building_the_new_items() -> None:
    pause = Counter()
    old = [(i, str(i)) for i in range(2500)]
    with pausing(pause):
        assert same_items(old, ((i, str(i)) for i in range(2500)))
        assert pause.calls == 3  # one per 1,000 compared
        assert not same_items(old, ((i, str(i)) for i in range(2499)))  # shorter
        assert not same_items(old, ((i, str(i)) for i in range(2501)))  # longer
        assert not same_items(old, ((i, str(i + (i == 1700))) for i in range(2500)))
    assert same_items([], iter([]))
    assert not same_items([], iter([1]))


def test_the_paced_composer_reads_yaml_as_the_plain_one() -> None:
    text = "assets:\n" + "".join(
        f"  - {{id: t{i}, kind: table, owner: de, upstream: [a, b], n: {i}, on: yes}}\n"
        for i in range(300)
    )
    plain = parse_yaml(text, "f.yaml")
    pause = Counter()
    with pausing(pause):
        assert parse_yaml(text, "f.yaml") == plain
    assert pause.calls > 10  # the composer's scalars, and the sequence of 300 items


def test_a_paced_load_is_a_plain_load(tmp_path: Path) -> None:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    plain = load_registry(root)
    pause = Counter()
    with pausing(pause):
        paced_load = load_registry(root)
    assert paced_load.problems == plain.problems
    assert paced_load.registry == plain.registry
    assert pause.calls > 0
