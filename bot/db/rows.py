"""How many rows a conditional UPDATE or DELETE matched: the claims and fences rest on it."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows matched. `execute()` of an UPDATE/DELETE returns a CursorResult, which has
    `rowcount`; `Session.execute` is typed as returning the plain Result."""
    return int(cast("CursorResult[Any]", result).rowcount)
