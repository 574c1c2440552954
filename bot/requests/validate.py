"""A drafted contract is validated like any other: the registry is loaded with it in place."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ownership.loader import load_registry
from ownership.model import Registry
from ownership.requests.draft import Draft


def draft_problems(registry_root: Path, draft: Draft) -> list[str]:
    """The errors the registry has with `draft` written in (a copy: the checkout is untouched),
    each as `file:line:col: error: message`; only those the draft brings."""
    return load_with(registry_root, draft)[0]


def load_with(registry_root: Path, draft: Draft) -> tuple[list[str], Registry | None]:
    """`draft_problems`, and the registry as it would be with the draft."""
    with tempfile.TemporaryDirectory(prefix="demarc-draft-") as tmp:
        copy = Path(tmp) / "registry"
        shutil.copytree(registry_root, copy, ignore=shutil.ignore_patterns(".git"))
        before = {str(p).replace(str(copy), "") for p in load_registry(copy).errors}
        target = copy / draft.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draft.text, encoding="utf-8")
        result = load_registry(copy)
        found = [str(p).replace(str(copy) + "/", "") for p in result.errors]
    return [p for p in found if "/" + p not in before and p not in before], result.registry
