"""Shared by every test directory: where the repository and its example registry are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REGISTRY = REPO_ROOT / "examples" / "registry"


@pytest.fixture(autouse=True)
def _parse_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The CLI's parse cache (ownership/parse_cache.py) in a folder of each test's own, not
    in ~/.cache: no test sees another's cache."""
    monkeypatch.setenv("DEMARC_CACHE_DIR", str(tmp_path_factory.mktemp("parse-cache")))
