"""With no Git host configured: a branch and a patch in the registry's own git checkout.

The commit is made with git's plumbing on a private index, so the working tree, the index and
the checked-out branch are left as they were; the patch goes under `.git/demarc-requests/`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from bot.requests.github import Change, GitHostError, PullRequest

IDENTITY = {"GIT_AUTHOR_NAME": "demarc", "GIT_AUTHOR_EMAIL": "demarc@localhost",
            "GIT_COMMITTER_NAME": "demarc", "GIT_COMMITTER_EMAIL": "demarc@localhost"}


def _git(root: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
         check: bool = True) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(root), *args], input=stdin, capture_output=True, text=True,  # noqa: S607
            env={**os.environ, **(env or {})}, timeout=30, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitHostError(f"git {args[0]}: {type(exc).__name__}") from exc
    if check and done.returncode != 0:
        raise GitHostError(f"git {args[0]}: {done.stderr.strip()[:200]}")
    return done.stdout.strip()


def write_branch(registry_root: Path, change: Change) -> PullRequest:
    """The branch `change.branch` with the file committed on HEAD, and its patch; where both are
    is the returned "URL". A second call for the same branch returns the same place."""
    root = registry_root.resolve()
    if _git(root, "rev-parse", "--is-inside-work-tree", check=False) != "true":
        raise GitHostError(f"{root} is not a git checkout: set DEMARC_GIT_REPOSITORY for a host")
    top = Path(_git(root, "rev-parse", "--show-toplevel"))
    git_dir = Path(_git(root, "rev-parse", "--absolute-git-dir"))
    patch = git_dir / "demarc-requests" / f"{change.branch.replace('/', '-')}.patch"
    existing = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{change.branch}",
                    check=False)
    if not existing:
        relative = (root / change.path).relative_to(top).as_posix()
        with tempfile.TemporaryDirectory(prefix="demarc-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), **IDENTITY}
            _git(root, "read-tree", "HEAD", env=env)
            blob = _git(root, "hash-object", "-w", "--stdin", stdin=change.text)
            _git(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},{relative}",
                 env=env)
            tree = _git(root, "write-tree", env=env)
            commit = _git(root, "commit-tree", tree, "-p", "HEAD", "-m",
                          f"{change.message}\n\n{change.body}", env=env)
        _git(root, "update-ref", f"refs/heads/{change.branch}", commit, "")
        existing = commit
    patch.parent.mkdir(parents=True, exist_ok=True)
    patch.write_text(_git(root, "format-patch", "-1", existing, "--stdout") + "\n",
                     encoding="utf-8")
    return PullRequest(f"branch {change.branch}, patch {patch}")
