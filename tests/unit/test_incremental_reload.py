"""A reload re-reads only the files that changed, and its result is a full load's."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bot.registry.holder import RegistryHolder
from ownership.load_cache import LoadCache
from ownership.loader import load_registry
from ownership.registry_files import registry_files
from tests.conftest import EXAMPLE_REGISTRY

MORE_ASSETS = """\
assets:
  - {id: extra_table, kind: table, owner: data_engineering, runbook: 'https://x',
     upstream: [customer_master_db]}
  - {id: extra_feature, kind: feature, owner: mlops_churn, runbook: 'https://x',
     upstream: [extra_table]}
"""


def aged(root: Path) -> None:
    """Files written an hour ago: outside the cache's racy window, as in a real checkout."""
    then = time.time() - 3600
    for file in registry_files(root):
        os.utime(file, (then, then))


def edit(file: Path, text: str) -> None:
    file.write_text(text)
    then = time.time() - 60  # a distinct mtime, still outside the racy window
    os.utime(file, (then, then))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    (root / "more.yaml").write_text(MORE_ASSETS)
    aged(root)
    return root


def same_as_a_full_load(holder: RegistryHolder, root: Path, problems: list[object]) -> None:
    fresh = load_registry(root)
    assert problems == fresh.problems
    if fresh.registry is not None:
        assert holder.registry == fresh.registry


def test_a_reload_reads_only_the_changed_file(root: Path) -> None:
    holder = RegistryHolder.from_path(root)
    assert len(holder.cache.last_read) == len(registry_files(root))
    assert holder.reload() == load_registry(root).problems
    assert holder.cache.last_read == []  # nothing changed: nothing read
    edit(root / "more.yaml", MORE_ASSETS.replace("kind: feature", "kind: model"))
    problems = holder.reload()
    assert holder.cache.last_read == [str(root / "more.yaml")]
    assert holder.registry.assets["extra_feature"].kind == "model"
    assert holder.cache.validation.reused > 0  # the other files' assets were not re-checked
    same_as_a_full_load(holder, root, problems)
    edit(root / "more.yaml", MORE_ASSETS.replace("extra_feature", "renamed_feature"))
    problems = holder.reload()
    assert holder.cache.last_read == [str(root / "more.yaml")]
    assert "renamed_feature" in holder.registry.assets
    assert "extra_feature" not in holder.registry.assets
    same_as_a_full_load(holder, root, problems)


def test_a_deleted_file_takes_its_assets_with_it(root: Path) -> None:
    holder = RegistryHolder.from_path(root)
    (root / "more.yaml").unlink()
    problems = holder.reload()
    assert holder.cache.last_read == []
    assert "extra_table" not in holder.registry.assets
    assert len(holder.cache.files) == len(registry_files(root))  # forgotten, not kept
    same_as_a_full_load(holder, root, problems)


def test_a_renamed_file_is_read_under_its_new_name(root: Path) -> None:
    holder = RegistryHolder.from_path(root)
    (root / "more.yaml").rename(root / "extra.yaml")
    edit(root / "extra.yaml", MORE_ASSETS.replace("runbook: 'https://x',\n", "\n", 1))
    problems = holder.reload()
    assert holder.cache.last_read == [str(root / "extra.yaml")]
    assert holder.registry.assets["extra_table"].source.file.endswith("extra.yaml")
    no_runbook = [p for p in problems if p.code == "no-runbook"]
    assert [p.where.file for p in no_runbook if "extra_table" in p.message] == [
        str(root / "extra.yaml")
    ]
    same_as_a_full_load(holder, root, problems)


def test_a_broken_edit_keeps_the_last_good_registry(root: Path) -> None:
    holder = RegistryHolder.from_path(root)
    good = holder.registry
    edit(root / "more.yaml", MORE_ASSETS.replace("[extra_table]", "[extra_tabel]"))
    problems = holder.reload()
    errors = [p for p in problems if p.is_error]
    assert [str(p) for p in errors] == [
        f"{root / 'more.yaml'}:5:17: error: asset 'extra_feature' upstream 'extra_tabel' is "
        "not an asset; did you mean 'extra_table'? [unknown-asset]"
    ]
    assert holder.registry is good
    same_as_a_full_load(holder, root, problems)
    edit(root / "more.yaml", "assets: [\n")  # a syntax error: still the last good one
    problems = holder.reload()
    assert [p.code for p in problems if p.is_error] == ["yaml"]
    assert str(problems[0].where).startswith(f"{root / 'more.yaml'}:")
    assert holder.registry is good
    edit(root / "more.yaml", MORE_ASSETS)
    assert not [p for p in holder.reload() if p.is_error]
    assert holder.cache.last_read == [str(root / "more.yaml")]
    assert holder.registry is not good
    assert "extra_feature" in holder.registry.assets


def test_a_change_other_entities_read_revalidates_them(root: Path) -> None:
    """Removing a team breaks assets in files that did not change: they are checked again."""
    holder = RegistryHolder.from_path(root)
    teams = (root / "teams.yaml").read_text()
    assert "id: product\n" in teams
    edit(root / "teams.yaml", teams.replace("id: product\n", "id: product_team\n"))
    problems = holder.reload()
    assert holder.cache.last_read == [str(root / "teams.yaml")]
    assert any(p.code == "unknown-team" for p in problems)
    same_as_a_full_load(holder, root, problems)


def test_a_file_written_just_now_is_read_again(tmp_path: Path) -> None:
    """Within the racy window a same-size rewrite could keep its mtime: never trust it."""
    # shutil.copy, not copy2: the copies are written now (copy2 keeps the checkout's mtimes)
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry", copy_function=shutil.copy))
    cache = LoadCache(racy_seconds=3600)
    load_registry(root, cache=cache)
    load_registry(root, cache=cache)
    assert len(cache.last_read) == len(registry_files(root))


def test_a_reload_that_changes_no_upstream_keeps_the_downstream_index(root: Path) -> None:
    holder = RegistryHolder.from_path(root)
    before = holder.registry.downstream_index()
    assert holder.registry.downstream_of("extra_table") == ("extra_feature",)
    edit(root / "more.yaml", MORE_ASSETS.replace("kind: feature", "kind: model"))
    holder.reload()
    assert holder.registry.downstream_index() is before  # the lineage is the same: kept
    assert holder.registry.downstream_of("extra_table") == ("extra_feature",)


def test_a_reload_that_changes_an_upstream_rebuilds_the_downstream_index(root: Path) -> None:
    holder = RegistryHolder.from_path(root)
    before = holder.registry.downstream_index()
    edit(root / "more.yaml", MORE_ASSETS.replace("upstream: [extra_table]", "upstream: []"))
    problems = holder.reload()
    assert holder.registry.downstream_index() is not before
    assert holder.registry.downstream_of("extra_table") == ()
    same_as_a_full_load(holder, root, problems)
    fresh = load_registry(root).registry
    assert fresh is not None
    assert holder.registry.downstream_index() == fresh.downstream_index()
