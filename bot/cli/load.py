"""Loading the registry a command names: the path, its problems as lines, usage errors."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.cli.exit_codes import UsageError
from bot.settings import registry_path
from ownership.errors import Problem
from ownership.loader import LoadResult, guarded_load
from ownership.root_causes import knock_on_summary, roots

NOT_LOADABLE = ("not-found", "empty-registry")  # the path itself is wrong: a usage error


def registry_arg(value: str | None) -> Path:
    """The registry directory: the argument, else $DEMARC_REGISTRY, else ./registry."""
    return registry_path(value)


def problem_lines(problems: list[Problem]) -> list[str]:
    """Root causes (parse errors first), then one note per failed file for what follows from
    it: a syntax error in teams.yaml is not buried under every "… is not a team"."""
    return [str(p) for p in roots(problems)] + [f"note: {s}" for s in knock_on_summary(problems)]


def unusable(path: Path, result: LoadResult) -> None:
    """A registry path that does not exist or holds no YAML is a usage error."""
    wrong = [p for p in result.errors if p.code in NOT_LOADABLE]
    if wrong:
        raise UsageError(
            f"{path}: {wrong[0].message} (give the registry directory, or set DEMARC_REGISTRY)"
        )


def load_or_explain(path: Path, *, lenient: bool = False) -> LoadResult:
    """The registry, loaded; a registry that does not load is a configuration error (exit 3):
    its problems go to stderr, then UsageError's line. `lenient` as `validate --lenient`."""
    result = guarded_load(path, lenient=True if lenient else None)
    if result.registry is None:
        unusable(path, result)
        for line in problem_lines(result.errors):
            print(line, file=sys.stderr)
        raise UsageError(
            f"{path}: the registry has {len(result.errors)} error(s); run `demarc validate {path}`"
        )
    return result
