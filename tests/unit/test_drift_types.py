"""Type families (one type, many spellings) and the pure schema drift comparison."""

from __future__ import annotations

import pytest

from ownership.drift import Drift, LiveColumn, compare_schema, signature
from ownership.model import Column
from ownership.types import compare, compatible, parse_type


@pytest.mark.parametrize(
    ("text", "family", "size", "scale"),
    [
        ("INTEGER", "integer", 4, None),
        ("int8", "integer", 8, None),
        ("BIGINT", "integer", 8, None),
        ("double precision", "float", 8, None),
        ("REAL", "float", 4, None),
        ("NUMERIC(10, 2)", "decimal", 10, 2),
        ("NUMBER(38,0)", "decimal", 38, 0),
        ("number", "number", None, None),
        ("VARCHAR(18)", "string", 18, None),
        ("character varying(255)", "string", 255, None),
        ("TEXT", "string", None, None),
        ("BOOLEAN", "boolean", None, None),
        ("DATE", "date", None, None),
        ("DATETIME", "timestamp", None, None),
        ("timestamp(6) with time zone", "timestamp", None, None),
        ("jsonb", "json", None, None),
        ("int[]", "array", None, None),
        ("uuid", "uuid", None, None),
        ("GEOGRAPHY", "unknown", None, None),
    ],
)
def test_parse_type(text: str, family: str, size: int | None, scale: int | None) -> None:
    parsed = parse_type(text)
    assert (parsed.family, parsed.size, parsed.scale) == (family, size, scale)


def test_time_zone_is_read_from_the_spelling() -> None:
    assert parse_type("TIMESTAMP WITH TIME ZONE").zone is True
    assert parse_type("timestamptz").zone is True
    assert parse_type("timestamp without time zone").zone is False
    assert parse_type("timestamp").zone is None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("varchar(18)", "VARCHAR(18)", "same"),
        ("int", "int4", "same"),
        ("smallint", "integer", "wider"),
        ("integer", "number", "wider"),
        ("number", "decimal(10,2)", "narrower"),
        ("decimal(12,2)", "decimal(10,2)", "narrower"),
        ("string", "varchar(10)", "narrower"),
        ("boolean", "string", "changed"),
        ("GEOGRAPHY", "GEOMETRY", "changed"),
    ],
)
def test_compare(old: str, new: str, expected: str) -> None:
    assert compare(old, new) == expected


@pytest.mark.parametrize(
    ("contract", "live", "ok"),
    [
        ("integer", "BIGINT", True),
        ("integer", "NUMBER(38,0)", True),  # Snowflake's integers
        ("integer", "NUMERIC(10, 2)", False),
        ("number", "INTEGER", True),
        ("float", "DOUBLE PRECISION", True),
        ("float", "INTEGER", False),
        ("string", "VARCHAR(20)", True),
        ("varchar(36)", "TEXT", True),
        ("date", "DATE", True),
        ("date", "DATETIME", False),
        ("timestamp", "TIMESTAMP WITH TIME ZONE", True),
        ("timestamptz", "TIMESTAMP WITHOUT TIME ZONE", False),
        ("string", "INTEGER", False),
        ("GEOGRAPHY", "INTEGER", True),  # unknown to demarc: not called drift
        ("", "INTEGER", True),
    ],
)
def test_compatible(contract: str, live: str, ok: bool) -> None:
    assert compatible(contract, live) is ok


def test_compare_schema_finds_missing_and_retyped_columns_only() -> None:
    contract = (
        Column("customer_id", "string", True),
        Column("signup_date", "date", True),
        Column("monthly_charges", "float"),
        Column("Segment", "string"),
        Column("receivers.id", "string"),  # another ODCS object: not this table
    )
    live = [
        LiveColumn("customer_id", "VARCHAR(36)"),
        LiveColumn("signup_date", "TEXT"),
        LiveColumn("segment", "VARCHAR"),  # names compare case-insensitively
        LiveColumn("extra", "INTEGER"),  # extra columns are fine
    ]
    drifts = compare_schema(contract, live)
    assert drifts == [
        Drift("type_changed", "signup_date", "date", "TEXT"),
        Drift("missing_column", "monthly_charges", "float"),
    ]
    assert drifts[0].words() == "column signup_date is TEXT; the contract says date"
    assert drifts[1].words() == "column monthly_charges is missing (the contract says float)"
    assert signature(drifts) == signature(list(reversed(drifts)))
    assert compare_schema(contract[:1], live) == []
