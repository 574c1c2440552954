"""The checks a contract implies, in a stable order: its schema's (completeness of required
columns, values of the declared type, uniqueness of declared keys), its volume, then its own
`quality` rules."""

from __future__ import annotations

from ownership.model import Contract, QualityRule
from ownership.quality import types

METRICS = ("nullValues", "missingValues", "duplicateValues", "rowCount", "invalidValues", "sql")


def contract_checks(contract: Contract) -> tuple[QualityRule, ...]:
    """Every check of `contract`; ids are unique within it (a repeated id gets `#2` …)."""
    out: list[QualityRule] = []
    for col in contract.schema:
        if "." in col.name:
            continue  # another object of a multi-table ODCS contract: not the probed table
        name = col.physical or col.name  # what the query reads
        if col.required:
            ratio = col.max_null_ratio
            out.append(
                QualityRule(
                    f"completeness:{col.name}",
                    "nullValues",
                    name,
                    ("mustBe", (0.0,)) if not ratio else ("mustBeLessOrEqualTo", (ratio * 100,)),
                    "rows" if not ratio else "percent",
                    description=f"{col.name} is required",
                )
            )
        if types.checkable(col.type):
            out.append(
                QualityRule(
                    f"type:{col.name}",
                    "type",
                    name,
                    description=f"{col.name} is {col.type}",
                    declared_type=col.type,
                )
            )
        if col.unique:
            out.append(
                QualityRule(
                    f"uniqueness:{col.name}",
                    "duplicateValues",
                    name,
                    description=f"{col.name} is a key",
                )
            )
    volume = contract.volume
    if volume is not None and (volume.min_rows is not None or volume.max_rows is not None):
        low, high = volume.min_rows, volume.max_rows
        if low is not None and high is not None:
            bound: tuple[str, tuple[float, ...]] = ("mustBeBetween", (float(low), float(high)))
        elif low is not None:
            bound = ("mustBeGreaterOrEqualTo", (float(low),))
        else:
            assert high is not None
            bound = ("mustBeLessOrEqualTo", (float(high),))
        out.append(QualityRule("volume", "rowCount", None, bound, description="rows per period"))
    if volume is not None and (volume.max_drop is not None or volume.max_rise is not None):
        out.append(
            QualityRule(
                "volume:trend",
                "rowCount",
                None,
                ("trend", ()),
                description=f"rows per period against the median of the last {volume.trailing}",
            )
        )
    out.extend(contract.quality)
    return _unique_ids(out)


def _unique_ids(rules: list[QualityRule]) -> tuple[QualityRule, ...]:
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for rule in rules:
        n = seen.get(rule.id, 0) + 1
        seen[rule.id] = n
        out.append(rule if n == 1 else replace(rule, id=f"{rule.id}#{n}"))
    return tuple(out)
