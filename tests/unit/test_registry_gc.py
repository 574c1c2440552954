"""The registry the bot holds is out of the cyclic collector's view, and stays so per reload."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.b3_registry import generate
from bot.registry.holder import RegistryHolder
from ownership.answers import NotFound, who_owns
from ownership.registry_files import registry_files
from tests.unit.test_answers import NOW


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Whatever the test freezes goes back to the collector afterwards."""
    yield
    gc.unfreeze()


def test_a_load_freezes_the_registry_and_reloads_do_not_grow_the_frozen_set(
    tmp_path: Path, unfrozen: None
) -> None:
    root = tmp_path / "registry"
    generate(root, 2_000, 200)
    then = time.time() - 3600  # outside the load cache's racy window
    for path in registry_files(root):
        os.utime(path, (then, then))
    gc.unfreeze()
    holder = RegistryHolder.from_path(root)
    loaded = gc.get_freeze_count()
    assert loaded > 50_000  # 2,000 assets and their indexes, not only the interpreter's own
    file = sorted((root / "assets").glob("*.yaml"))[0]
    original = file.read_text()
    counts = []
    for i in range(6):
        file.write_text(original.replace("Generated asset", f"Edited ({i}) asset", 1))
        os.utime(file, (then + i + 1, then + i + 1))
        assert not [p for p in holder.reload() if p.is_error]
        counts.append(gc.get_freeze_count())
    # The replaced registries are freed (reference counting), not kept frozen: one
    # registry's worth, not six.
    assert max(counts) < loaded * 1.2, (loaded, counts)
    assert counts[-1] - counts[0] < loaded * 0.05, counts
    answer = who_owns(holder.registry, "aset_000123", NOW)  # still answers, with suggestions
    assert isinstance(answer, NotFound)
    assert answer.suggestions[0] == "asset_000123"
