"""The CLI's parse cache: a warm load is a cold load's registry and problems, reading only
the files that changed; a bad cache is ignored and rewritten, never an error."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bot.cli.load import cache_folder, cached_load
from bot.cli.main import main
from ownership.load_cache import LoadCache
from ownership.loader import LoadResult, load_registry
from ownership.parse_cache import cache_file, read_cache, write_cache
from ownership.registry_files import registry_files
from tests.conftest import EXAMPLE_REGISTRY, REPO_ROOT

# ODCS, dbt sources and Backstage files, valid and broken, beside demarc's own
FOREIGN = (REPO_ROOT / "examples" / "formats", REPO_ROOT / "tests" / "fixtures" / "formats")

BROKEN = """\
assets:
  - {id: broken_table, kind: table, owner: no_such_team, upstream: [nowhere]}
  - {id: broken_table, kind: table, owner: data_engineering}
"""
UNPARSABLE = "teams: [\n  - id: x\n"


def aged(root: Path, seconds: float = 3600) -> None:
    """Files written `seconds` ago: outside the racy window, as in a real checkout."""
    then = time.time() - seconds
    for file in registry_files(root):
        os.utime(file, (then, then))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    aged(root)
    return root


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "broken"))
    (root / "broken.yaml").write_text(BROKEN)
    (root / "unparsable.yaml").write_text(UNPARSABLE)
    aged(root)
    return root


def where(path: Path) -> Path:
    return cache_file(cache_folder(os.environ), path)


def warm(path: Path) -> tuple[LoadResult, LoadCache]:
    """A load through the cache on disk, and the cache it used."""
    cache = read_cache(where(path))
    result = load_registry(path, cache=cache)
    write_cache(where(path), cache)
    return result, cache


def same(a: LoadResult, b: LoadResult) -> None:
    assert a.problems == b.problems  # message, severity, code, file:line:col, kind
    assert [str(p) for p in a.problems] == [str(p) for p in b.problems]
    assert a.registry == b.registry


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    root = tmp_path / "foreign"
    for n, source in enumerate(FOREIGN):
        shutil.copytree(source, root / str(n))
    shutil.copy(EXAMPLE_REGISTRY / "raci.yaml", root / "raci.yaml")
    aged(root)
    return root


@pytest.mark.parametrize("name", ["root", "broken", "foreign"])
def test_a_warm_load_is_a_cold_load(name: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(name)
    cold = load_registry(path)
    first, cache = warm(path)
    assert len(cache.last_read) == len(registry_files(path))  # nothing cached yet
    second, cache = warm(path)
    assert cache.loaded == len(registry_files(path))
    assert cache.last_read == []
    same(cold, first)
    same(cold, second)
    if name == "broken":
        assert cold.registry is None
        assert len(cold.errors) >= 3


def test_the_cli_commands_give_the_same_output_warm_and_cold(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for argv in (["--no-cache"], [], [], ["--no-cache"]):
        code = main(["validate", str(broken), "--json", *argv])
        outputs.append((code, capsys.readouterr()))
    assert all(o == outputs[0] for o in outputs)
    assert outputs[0][0] == 1


def test_no_cache_writes_no_cache(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(root), "--no-cache"]) == 0
    assert not where(root).exists()
    assert main(["validate", str(root)]) == 0
    assert where(root).exists()


def test_an_edit_of_the_same_size_and_mtime_is_seen(root: Path) -> None:
    """Same size, mtime put back to the nanosecond: the change time and inode still differ."""
    warm(root)
    file = root / "teams.yaml"
    text = file.read_text()
    assert "id: product\n" in text
    before = file.stat()
    file.write_text(text.replace("id: product\n", "id: prodXct\n"))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert file.stat().st_size == before.st_size
    result, cache = warm(root)
    assert cache.last_read == [str(file)]
    same(load_registry(root), result)
    assert any("prodXct" in p.message or "product" in p.message for p in result.problems)


def test_a_file_replaced_by_rename_is_read_again(root: Path) -> None:
    warm(root)
    file = root / "teams.yaml"
    before = file.stat()
    new = root / "teams.yaml.new"  # not a registry file: a suffix the loader skips
    new.write_text(file.read_text())
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(new, file)
    _, cache = warm(root)
    assert cache.last_read == [str(file)]


def test_a_file_written_just_now_is_not_kept(root: Path) -> None:
    """Within the racy window a second same-size write could keep the same timestamps."""
    (root / "more.yaml").write_text(BROKEN.replace("no_such_team", "data_engineering"))
    warm(root)
    _, cache = warm(root)
    assert cache.last_read == [str(root / "more.yaml")]


def test_added_and_deleted_files_are_followed(root: Path) -> None:
    warm(root)
    extra = root / "extra.yaml"
    extra.write_text(BROKEN)
    aged(root, 60)
    result, _ = warm(root)
    assert any(p.where.file == str(extra) for p in result.problems)
    extra.unlink()
    result, cache = warm(root)
    same(load_registry(root), result)
    assert all(key[0] != str(extra) for key in cache.files)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: b"garbage\n" * 10,
        lambda data: data[: len(data) // 2],  # truncated mid-pickle
        lambda data: data.replace(b"demarc-parse-cache 1", b"demarc-parse-cache 0", 1),
        lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],
    ],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(root: Path, damage: object) -> None:
    cold = load_registry(root)
    warm(root)
    path = where(root)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    result, cache = warm(root)
    same(cold, result)
    assert cache.loaded == 0
    assert len(cache.last_read) == len(registry_files(root))
    _, cache = warm(root)  # rewritten: the next load reads nothing
    assert cache.last_read == []


def test_a_cache_others_can_write_is_not_read(root: Path) -> None:
    warm(root)
    where(root).chmod(0o666)
    _, cache = warm(root)
    assert cache.loaded == 0


def test_an_unwritable_cache_folder_is_no_error(root: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cache = read_cache(blocker / "cache.pickle")
    cold = load_registry(root)
    same(cold, load_registry(root, cache=cache))
    assert write_cache(blocker / "cache.pickle", cache) is False
    same(cold, cached_load(root))  # and through the CLI's path, with the default folder


def test_a_cache_from_other_code_is_ignored(root: Path) -> None:
    warm(root)
    path = where(root)
    magic, _key, rest = path.read_bytes().split(b"\n", 2)
    path.write_bytes(magic + b"\n" + b"0" * 64 + b"\n" + rest)
    _, cache = warm(root)
    assert cache.loaded == 0


def test_concurrent_writers_leave_a_whole_cache(root: Path) -> None:
    """Runs that write at once each rename a whole file over the cache: a reader meanwhile
    gets the cache or nothing, never an error or a half-written file."""
    import threading

    _, cache = warm(root)
    cache = read_cache(where(root))
    cache.last_read = ["forces a write"]
    seen: list[int] = []

    def write() -> None:
        for _ in range(20):
            assert write_cache(where(root), cache)

    def read() -> None:
        for _ in range(40):
            seen.append(read_cache(where(root)).loaded)

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(seen) <= {len(registry_files(root))}
    assert sorted(p.name for p in where(root).parent.iterdir()) == [where(root).name]
