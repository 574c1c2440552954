"""`demarc codeowners`: the CODEOWNERS section from the registry; `demarc validate` checks the
committed one against it (a warning per disagreement)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ownership.codeowners import committed_section, disagreements, entries, section
from ownership.model import Registry

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")  # GitHub's order


def repository_root(registry: Path) -> Path:
    """The git checkout holding the registry; without git, the registry's own directory."""
    start = registry if registry.is_dir() else registry.parent
    done = subprocess.run(  # noqa: S603
        ["git", "-C", str(start), "rev-parse", "--show-toplevel"],  # noqa: S607
        capture_output=True, text=True, check=False,
    )
    return Path(done.stdout.strip()) if done.returncode == 0 else start.resolve()


def contract_paths(registry: Registry, root: Path) -> dict[str, str]:
    out = {}
    for contract in registry.contracts.values():
        file = Path(contract.source.file)
        full = (file if file.is_absolute() else Path.cwd() / file).resolve()
        try:
            out[contract.id] = full.relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return out


def expected_section(registry: Registry, registry_path: Path) -> list[str]:
    root = repository_root(registry_path)
    return section(entries(registry, contract_paths(registry, root)))


def codeowners_warnings(registry: Registry, registry_path: Path) -> list[str]:
    """`file:line:1: warning: …` for a committed CODEOWNERS whose demarc section disagrees."""
    root = repository_root(registry_path)
    found = next((root / p for p in LOCATIONS if (root / p).is_file()), None)
    if found is None:
        return []
    committed = committed_section(found.read_text(encoding="utf-8", errors="replace"))
    expected = section(entries(registry, contract_paths(registry, root)))
    if committed is None:
        return [f"{found}:1:1: warning: no demarc section: add the output of "
                "`demarc codeowners` [codeowners]"]
    line, lines = committed
    return [f"{found}:{line}:1: warning: CODEOWNERS disagrees with the registry, {what}; "
            "regenerate it with `demarc codeowners` [codeowners]"
            for what in disagreements(expected, lines)]
