"""`demarc diff OLD NEW`: classify every contract change and gate on the change policy.

OLD and NEW are registry directories (or files), or git revisions of the registry directory in
the current git repository (`demarc diff origin/main HEAD --registry registry/`); a revision is
exported with `git archive` into a temporary directory. Exit 0 when nothing breaking is
blocked, 1 when a breaking change's notice period has not passed, 3 on usage or load errors.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bot.cli.exit_codes import EXIT_OK, EXIT_USAGE
from bot.cli.exit_codes import EXIT_PROBLEMS as EXIT_BLOCKED
from ownership.changes import Verdict, gate
from ownership.diff import Change, diff_registries
from ownership.loader import guarded_load
from ownership.model import Registry
from ownership.root_causes import knock_on_summary, roots


class DiffError(Exception):
    """A side could not be found or loaded; the message says why."""


@dataclass(frozen=True)
class Side:
    label: str
    path: Path


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)  # noqa: S603,S607


def resolve(arg: str, registry: Path, cwd: Path, stack: ExitStack) -> Side:
    """A path as it is; otherwise a git revision whose `registry` directory is exported."""
    as_path = Path(arg) if Path(arg).is_absolute() else cwd / arg
    if as_path.exists():
        return Side(arg, as_path)
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise DiffError(f"{arg}: no such file or directory, and {cwd} is not in a git repository")
    root = Path(top.stdout.decode().strip())
    if _git(["rev-parse", "--verify", "--quiet", f"{arg}^{{commit}}"], cwd).returncode != 0:
        raise DiffError(f"{arg}: neither a path nor a git revision")
    target = (registry if registry.is_absolute() else cwd / registry).resolve()
    try:
        rel = target.relative_to(root.resolve())
    except ValueError:
        raise DiffError(f"registry {registry} is outside the git repository {root}") from None
    spec = rel.as_posix() or "."
    archive = _git(["archive", "--format=tar", arg, "--", spec], root)
    if archive.returncode != 0:
        why = archive.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(
            f"{arg}: {spec} is not in that revision ({why[-1] if why else 'git failed'})"
        )
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="demarc-diff-")))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp, filter="data")
    return Side(f"{arg}:{spec}", tmp / rel)


def load(side: Side) -> Registry:
    """A directory is a registry; a single file is read on its own, the teams it names
    standing in for themselves (two versions of one contract file need no registry)."""
    result = guarded_load(side.path, standalone=side.path.is_file())
    if result.registry is None:
        lines = [str(p) for p in roots(result.errors)[:20]] + knock_on_summary(result.errors)
        shown = "\n".join(f"  {line}" for line in lines)
        raise DiffError(f"{side.label}: the registry has {len(result.errors)} error(s):\n{shown}")
    return result.registry


def render_text(changes: list[Change], verdicts: list[Verdict], today: date, out: TextIO) -> None:
    by_change = {id(v.change): v for v in verdicts}
    if not changes:
        print("no contract changes", file=out)
    current = None
    for change in changes:
        if change.contract != current:
            current = change.contract
            print(f"{current}:", file=out)
        verdict = by_change.get(id(change))
        mark = "BREAKING" if change.breaking else "ok      "
        print(f"  {mark} {change.kind} {change.subject}: {change.reason}", file=out)
        if verdict is not None:
            state = "BLOCKED" if verdict.blocking else "allowed"
            print(f"           {state}: {verdict.why}", file=out)
    blocked = [v for v in verdicts if v.blocking]
    breaking = [c for c in changes if c.breaking]
    print(
        f"{len(changes)} change(s), {len(breaking)} breaking, {len(blocked)} blocked by the "
        "change policy",
        file=out,
    )
    unannounced = [v for v in blocked if v.notice is None]
    if unannounced:
        print("\nTo announce them, add to the registry and merge that first:", file=out)
        print(suggest_notices(unannounced, today), file=out)


def suggest_notices(verdicts: list[Verdict], today: date) -> str:
    lines = ["change_notices:"]
    grouped: dict[str, list[Change]] = {}
    for v in verdicts:
        grouped.setdefault(v.change.contract, []).append(v.change)
    for contract, changes in grouped.items():
        what = "; ".join(c.reason.split(":")[0] for c in changes)
        scope = sorted({c.subject for c in changes})
        lines += [
            f"  - contract: {contract}",
            f"    announced: {today.isoformat()}",
            f"    change: {json.dumps(what, ensure_ascii=False)}",
            f"    scope: [{', '.join(scope)}]",
        ]
    return "\n".join(lines)


def to_json(changes: list[Change], verdicts: list[Verdict]) -> dict[str, object]:
    by_change = {id(v.change): v for v in verdicts}
    rows = []
    for c in changes:
        v = by_change.get(id(c))
        rows.append(
            {
                "contract": c.contract,
                "kind": c.kind,
                "subject": c.subject,
                "breaking": c.breaking,
                "reason": c.reason,
                "old": c.old,
                "new": c.new,
                "blocking": bool(v and v.blocking),
                "verdict": v.why if v else None,
                "notice": v.notice.id if v and v.notice else None,
                "effective": v.effective.isoformat() if v and v.effective else None,
            }
        )
    return {"changes": rows, "blocking": sum(1 for v in verdicts if v.blocking)}


def run(
    old: str,
    new: str,
    *,
    registry: Path,
    today: date,
    as_json: bool,
    cwd: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    cwd = cwd or Path.cwd()
    out, err = out or sys.stdout, err or sys.stderr
    with ExitStack() as stack:
        try:
            before = load(resolve(old, registry, cwd, stack))
            after = load(resolve(new, registry, cwd, stack))
        except DiffError as exc:
            print(f"demarc diff: {exc}", file=err)
            return EXIT_USAGE
    changes = diff_registries(before, after)
    verdicts = gate(changes, before, after, today)
    if as_json:
        print(json.dumps(to_json(changes, verdicts), indent=2), file=out)
    else:
        render_text(changes, verdicts, today, out)
    return EXIT_BLOCKED if any(v.blocking for v in verdicts) else EXIT_OK


def default_today() -> date:
    return datetime.now(UTC).date()
