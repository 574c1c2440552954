"""A cold CLI load: two processes read the files, and the result is the one-process load's;
the YAML tag memo and the byte read change nothing either."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from bot.cli.parallel_read import MIN_FILES, forked_reads
from ownership.load_cache import FileRead
from ownership.loader import load_registry, read_file
from ownership.parse_cache import cache_file, read_cache
from ownership.yaml_nodes import _Loader
from tests.conftest import EXAMPLE_REGISTRY, REPO_ROOT

CONTRACT = """\
data_source: c{i}
owner_team: data_engineering
consumer_teams: [mlops_churn]
freshness: {{warn_after: "12 hours", error_after: "24 hours"}}
"""


def many(tmp_path: Path, n: int = MIN_FILES + 20, *, broken: bool = True) -> Path:
    """The example registry plus `n` contract files, a few of them broken (`broken`)."""
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    folder = root / "generated"
    folder.mkdir()
    for i in range(n):
        (folder / f"c{i:04d}.yaml").write_text(CONTRACT.format(i=i))
    if not broken:
        return root
    (folder / "c0007.yaml").write_text("data_source: [unclosed\n")  # YAML error
    (folder / "c0100.yaml").write_bytes(b"data_source: caf\xe9\n")  # not UTF-8
    (folder / "c0200.yaml").write_text(CONTRACT.format(i=200).replace("mlops", "nobody"))
    return root


TWO_PROCESSES = """
import json, sys
from bot.cli.parallel_read import forked_reads
from ownership.loader import load_registry
seen = []
def counted(missing):
    found = forked_reads(missing)
    seen.append(len(found))
    return found
alone, forked = load_registry(sys.argv[1]), load_registry(sys.argv[1], prefetch=counted)
print(json.dumps({"prefetched": seen, "same": forked.problems == alone.problems,
                  "errors": sum(p.is_error for p in alone.problems)}))
"""


def test_two_processes_read_what_one_reads(tmp_path: Path) -> None:
    root = many(tmp_path)
    # in a process of its own: the test runner's other threads would rule the fork out
    done = subprocess.run([sys.executable, "-c", TWO_PROCESSES, str(root)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    out = json.loads(done.stdout)
    assert out["prefetched"] == [len(list(root.rglob("*.yaml")))]  # every file, half forked
    assert out["same"] is True
    assert out["errors"] >= 3  # the broken files are reported alike


def test_too_few_files_or_other_threads_read_in_this_process(tmp_path: Path) -> None:
    root = many(tmp_path)
    files = [(str(f), str(f)) for f in sorted(root.rglob("*.yaml"))]
    assert forked_reads(files[: MIN_FILES - 1]) == {}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert forked_reads(files) == {}  # forking a threaded process is unsafe
    finally:
        stop.set()
        other.join()


def test_a_file_changed_after_its_prefetch_is_read_again(tmp_path: Path) -> None:
    root = many(tmp_path, 3, broken=False)
    target = root / "generated" / "c0001.yaml"

    def stale(missing: list[tuple[str, str]]) -> dict[str, FileRead]:
        found = {file: read_file(file, name) for file, name in missing}
        target.write_text(CONTRACT.format(i=1).replace("c1", "renamed_after_read") + "\n")
        os.utime(target, (1_000_000_000, 1_000_000_000))  # another mtime and size: a new key
        return found

    result = load_registry(root, prefetch=stale)
    assert result.registry is not None
    assert "renamed_after_read" in result.registry.contracts
    assert "c1" not in result.registry.contracts


def test_the_tag_memo_resolves_as_the_plain_safe_loader() -> None:
    text = (
        "a: yes\nb: 'yes'\nc: 1.5\nd: 0x1F\ne: ~\nf: null\ng: 2024-05-01\nh: 12 hours\n"
        "i: [on, off, 007, .inf, -.Inf, 1_000, '2024-05-01']\nj: !!str 5\nk: ''\nl:\n"
    )
    for _ in range(2):  # the second time from the memo
        memo = yaml.compose(text, Loader=_Loader)
        plain = yaml.compose(text, Loader=yaml.SafeLoader)
        assert tags(memo) == tags(plain)


def tags(node: yaml.Node) -> list[tuple[str, object]]:
    if isinstance(node, yaml.ScalarNode):
        return [(node.tag, node.value)]
    out = [(node.tag, None)]
    for child in node.value:
        for part in child if isinstance(child, tuple) else (child,):
            out += tags(part)
    return out


def test_windows_line_endings_load_as_unix_ones(tmp_path: Path) -> None:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    unix = load_registry(root)
    for file in root.rglob("*.yaml"):
        file.write_bytes(file.read_bytes().replace(b"\n", b"\r\n"))
    windows = load_registry(root)
    assert windows.registry == unix.registry  # positions included: SourceRefs compare
    assert windows.problems == unix.problems


def test_the_cli_writes_its_parse_cache_from_a_child_and_waits_for_it(tmp_path: Path) -> None:
    root = many(tmp_path, 5, broken=False)
    old = time.time() - 3600  # outside the racy window: every reading is kept
    for file in root.rglob("*.yaml"):
        os.utime(file, (old, old))
    folder = tmp_path / "cache"
    env = {**os.environ, "DEMARC_CACHE_DIR": str(folder)}
    code = "import sys; from bot.cli.entry import main; sys.exit(main())"
    for _ in range(2):  # cold, then warm from what the child wrote
        done = subprocess.run([sys.executable, "-c", code, "validate", str(root)], env=env,
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    kept = read_cache(cache_file(folder, root))
    assert len(kept.files) == len(list(root.rglob("*.yaml")))  # written whole before exit
