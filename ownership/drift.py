"""Schema drift: the live table against the contract's columns. Pure; `bot.changes.drift` inspects.

Drift is a contract column the table lacks, or one whose type is of another family
(`ownership.types.compatible`). Extra live columns are fine (adding columns is non-breaking),
and so is nullability: most warehouses do not enforce NOT NULL the way contracts mean it.
Columns of other objects of an ODCS contract (named `object.column`) are not compared. A
column is looked for by its physical name (ODCS `physicalName`) when it has one, the name the
quality checks query too, and drift names it so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ownership.model import Column
from ownership.types import compatible


@dataclass(frozen=True, slots=True)
class LiveColumn:
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Drift:
    kind: str  # missing_column | type_changed
    column: str
    expected: str
    actual: str | None = None

    def words(self) -> str:
        if self.kind == "missing_column":
            said = self.expected or "it exists"
            return f"column {self.column} is missing (the contract says {said})"
        return f"column {self.column} is {self.actual}; the contract says {self.expected}"


def compare_schema(contract: Iterable[Column], live: Iterable[LiveColumn]) -> list[Drift]:
    """Drift of the live columns from the contract's; names compare case-insensitively."""
    actual = {c.name.lower(): c for c in live}
    out = []
    for col in contract:
        if "." in col.name:
            continue
        name = col.physical or col.name
        found = actual.get(name.lower())
        if found is None:
            out.append(Drift("missing_column", name, col.type))
        elif col.type and not compatible(col.type, found.type):
            out.append(Drift("type_changed", name, col.type, found.type))
    return out


def signature(drifts: Iterable[Drift]) -> str:
    """A stable text naming a set of drifts: the same drift is alerted once."""
    return "; ".join(sorted(f"{d.kind}:{d.column}:{d.actual or ''}" for d in drifts))
