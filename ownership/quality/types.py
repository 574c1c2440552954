"""Types as declared, applied to the data: a `type:<column>` check counts the period's values
that are not of the contract's type.

A live column whose type is the declared one (`ownership.types.compatible`, the drift check's
mapping) holds nothing else: the database enforces it, 0. A text column (raw data often lands
as text) is checked value by value against the family's pattern; a column of another type
entirely has every value wrong. Families without a pattern are not checked.
"""

from __future__ import annotations

from ownership.types import compatible, parse_type

PATTERNS = {
    "integer": r"^\s*[+-]?[0-9]+\s*$",
    "decimal": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$",
    "float": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$",
    "number": r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$",
    "boolean": r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[TtFfYyNn01])\s*$",
    "date": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$",
    "timestamp": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
    r"\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*$",
    "uuid": r"^\s*[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
    r"[0-9a-fA-F]{12}\s*$",
}


def checkable(declared: str) -> bool:
    """Whether a declared type has a check (a family with a pattern)."""
    return bool(declared) and parse_type(declared).family in PATTERNS


def how_to_count(declared: str, live: str) -> str | None:
    """ "none" (the database enforces it), "pattern" (text: match each value against
    `PATTERNS[family]`), "all" (another type: every value is wrong), or None (unknown)."""
    if compatible(declared, live):
        return "none"
    family = parse_type(live).family
    if family == "string":
        return "pattern"
    return "all" if family != "unknown" else None


def pattern_for(declared: str) -> str:
    return PATTERNS[parse_type(declared).family]
