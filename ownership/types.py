"""Column types as families with a size, so a diff can tell widening from narrowing and a drift
check can tell a real type change from two spellings of one type ("int4" and "INTEGER").

Contracts write logical types (ODCS `string`, `integer`, `number` …), dbt `data_type`s or SQL
types; live tables report their dialect's names. `parse_type` maps them all to a `SqlType`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Family = Literal[
    "integer",
    "decimal",
    "float",
    "number",
    "string",
    "boolean",
    "date",
    "timestamp",
    "time",
    "binary",
    "json",
    "array",
    "uuid",
    "interval",
    "unknown",
]
Comparison = Literal["same", "wider", "narrower", "changed"]

_NUMERIC = ("integer", "decimal", "float", "number")
_INTEGERS = {
    "tinyint": 1,
    "int1": 1,
    "byteint": 1,
    "smallint": 2,
    "int2": 2,
    "smallserial": 2,
    "int": 4,
    "integer": 4,
    "int4": 4,
    "mediumint": 4,
    "serial": 4,
    "serial4": 4,
    "int32": 4,
    "bigint": 8,
    "int8": 8,
    "long": 8,
    "bigserial": 8,
    "serial8": 8,
    "int64": 8,
    "hugeint": 16,
}
_FLOATS = {
    "real": 4,
    "float4": 4,
    "float32": 4,
    "float": 8,
    "float8": 8,
    "double": 8,
    "double precision": 8,
    "float64": 8,
    "binary_double": 8,
}
_FAMILIES: dict[str, Family] = {
    **dict.fromkeys(("decimal", "numeric", "dec", "money", "bignumeric", "bigdecimal"), "decimal"),
    "number": "number",
    **dict.fromkeys(
        (
            "varchar",
            "character varying",
            "char",
            "character",
            "nchar",
            "nvarchar",
            "text",
            "string",
            "clob",
            "varchar2",
            "nvarchar2",
            "citext",
            "bpchar",
            "ntext",
            "tinytext",
            "mediumtext",
            "longtext",
            "name",
        ),
        "string",
    ),
    **dict.fromkeys(("bool", "boolean", "bit"), "boolean"),
    "date": "date",
    **dict.fromkeys(
        (
            "timestamp",
            "datetime",
            "timestamptz",
            "timestamp with time zone",
            "timestamp without time zone",
            "timestamp_ntz",
            "timestamp_ltz",
            "timestamp_tz",
            "datetime2",
            "smalldatetime",
            "datetimeoffset",
        ),
        "timestamp",
    ),
    **dict.fromkeys(("time", "timetz", "time with time zone", "time without time zone"), "time"),
    **dict.fromkeys(("bytea", "blob", "binary", "varbinary", "bytes", "longblob"), "binary"),
    **dict.fromkeys(
        ("json", "jsonb", "object", "struct", "map", "variant", "record", "super"), "json"
    ),
    **dict.fromkeys(("array", "list", "vector"), "array"),
    **dict.fromkeys(("uuid", "uniqueidentifier"), "uuid"),
    "interval": "interval",
}
_WITH_ZONE = (
    "timestamptz",
    "timestamp with time zone",
    "timestamp_tz",
    "timestamp_ltz",
    "datetimeoffset",
)
_SHAPE = re.compile(r"^(.*?)\s*\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)\s*(.*)$")


@dataclass(frozen=True, slots=True)
class SqlType:
    """`size`: bytes (integer, float), length (string) or precision (decimal); None: unbounded
    or not said. `zone`: for timestamps, whether they carry a time zone (None: not said)."""

    family: Family
    raw: str
    size: int | None = None
    scale: int | None = None
    zone: bool | None = None


def parse_type(text: str) -> SqlType:
    raw = " ".join(text.strip().lower().split())
    if raw.endswith("[]") or raw.startswith(("array<", "array(", "list<")):
        return SqlType("array", raw)
    match = _SHAPE.match(raw)
    size = scale = None
    name = raw
    if match:
        name, size, scale = f"{match[1]} {match[4]}".strip(), match[2], match[3]
    if name in _INTEGERS:
        return SqlType("integer", raw, _INTEGERS[name])
    if name in _FLOATS:
        return SqlType("float", raw, _FLOATS[name])
    family = _FAMILIES.get(name, "unknown")
    if family == "decimal" or (family == "number" and size):
        precision, places = int(size) if size else None, int(scale) if scale else 0
        if places == 0 and precision is not None and family == "number":
            return SqlType("decimal", raw, precision, 0)  # Oracle/Snowflake NUMBER(38,0)
        return SqlType("decimal", raw, precision, places)
    if family == "timestamp":
        zone = True if name in _WITH_ZONE or "with time zone" in raw else None
        if "without time zone" in raw or name == "timestamp_ntz":
            zone = False
        return SqlType("timestamp", raw, zone=zone)
    if family == "string":
        return SqlType("string", raw, int(size) if size else None)
    return SqlType(family, raw)


def compare(old: str, new: str) -> Comparison:
    """How a column's type moved, seen by its readers: "wider" keeps every old value."""
    if " ".join(old.lower().split()) == " ".join(new.lower().split()):
        return "same"
    a, b = parse_type(old), parse_type(new)
    if a.family == "unknown" or b.family == "unknown":
        return "changed"
    if a.family != b.family:
        if a.family == "integer" and b.family in ("decimal", "float", "number"):
            return "wider"
        if b.family == "number" and a.family in _NUMERIC:
            return "wider"
        if a.family == "number" and b.family in _NUMERIC:
            return "narrower"
        return "changed"
    if a.family == "timestamp" and None not in (a.zone, b.zone) and a.zone != b.zone:
        return "changed"
    if a.family == "decimal":
        return _decimal(a, b)
    return _sized(a.size, b.size, unbounded_is_widest=a.family == "string")


def _sized(old: int | None, new: int | None, *, unbounded_is_widest: bool) -> Comparison:
    if old == new:
        return "same"
    if old is None or new is None:
        if not unbounded_is_widest:
            return "same"  # one spelling does not say its size: nothing to compare
        return "wider" if new is None else "narrower"
    return "wider" if new > old else "narrower"


def _decimal(a: SqlType, b: SqlType) -> Comparison:
    if a.size is None or b.size is None:
        return "same" if a.scale == b.scale or None in (a.size, b.size) else "changed"
    a_int, b_int = a.size - (a.scale or 0), b.size - (b.scale or 0)
    if (b_int, b.scale or 0) == (a_int, a.scale or 0):
        return "same"
    if b_int >= a_int and (b.scale or 0) >= (a.scale or 0):
        return "wider"
    if b_int <= a_int and (b.scale or 0) <= (a.scale or 0):
        return "narrower"
    return "changed"


def compatible(contract: str, live: str) -> bool:
    """Whether a live column's type is what the contract says, up to spelling and size.

    Coarse on purpose: numbers match numbers of the same kind (an integer is also a `number`,
    and a DECIMAL(38,0) an integer), strings match strings, and a type demarc does not know on
    either side is not called drift.
    """
    a, b = parse_type(contract), parse_type(live)
    if a.family == "unknown" or b.family == "unknown":
        return True
    if a.family == b.family:
        return not (a.family == "timestamp" and None not in (a.zone, b.zone) and a.zone != b.zone)
    if "number" in (a.family, b.family):
        return a.family in _NUMERIC and b.family in _NUMERIC
    if {a.family, b.family} == {"integer", "decimal"}:
        decimal = a if a.family == "decimal" else b
        return not decimal.scale
    return False
