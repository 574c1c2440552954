"""Verdict arithmetic and the checks a contract implies: pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ownership.errors import InvalidValue
from ownership.model import AgeSla, Column, Contract, DeadlineSla, QualityRule, Volume
from ownership.quality.checks import contract_checks
from ownership.quality.verdict import Measured, judge
from ownership.quality.window import quality_window


def rule(metric: str = "nullValues", bound: tuple[str, tuple[float, ...]] = ("mustBe", (0.0,)),
         unit: str = "rows", column: str | None = "email") -> QualityRule:  # fmt: skip
    return QualityRule(f"{metric}:{column}", metric, column, bound, unit)


def test_nulls_fail_by_their_count_and_say_which_column() -> None:
    v = judge(rule(), Measured(30, 100))
    assert v.failed
    assert v.words() == "nullValues:email: 30 nulls in email of 100 rows; none allowed, off by 30"
    assert judge(rule(), Measured(0, 100)).passed


def test_percent_rules_compare_the_share_of_the_periods_rows() -> None:
    r = rule(bound=("mustBeLessOrEqualTo", (1.0,)), unit="percent")
    v = judge(r, Measured(3, 100))
    assert v.failed
    assert v.value == pytest.approx(3.0)
    assert "(3%)" in v.words()
    assert "at most 1% allowed, off by 2 points" in v.words()
    assert judge(r, Measured(1, 100)).passed
    assert judge(r, Measured(0, 0)).passed  # no rows: nothing to be incomplete


@pytest.mark.parametrize(
    ("bound", "value", "passed"),
    [
        (("mustBeGreaterThan", (10.0,)), 10, False),
        (("mustBeGreaterOrEqualTo", (10.0,)), 10, True),
        (("mustBeLessThan", (10.0,)), 10, False),
        (("mustBeLessOrEqualTo", (10.0,)), 10, True),
        (("mustBeBetween", (5.0, 10.0)), 11, False),
        (("mustBeBetween", (10.0, 5.0)), 7, True),  # either order
        (("mustNotBeBetween", (5.0, 10.0)), 7, False),
        (("mustNotBe", (0.0,)), 0, False),
    ],
)
def test_every_odcs_comparison(
    bound: tuple[str, tuple[float, ...]], value: int, passed: bool
) -> None:
    assert judge(rule("rowCount", bound, column=None), Measured(value, value)).passed is passed


def test_a_failed_query_is_never_passed() -> None:
    v = judge(rule(), Measured(None, error="query timed out after 30 s"))
    assert v.passed is None
    assert not v.failed
    assert "the check failed: query timed out" in v.words()


def test_an_unknown_comparison_is_refused() -> None:
    with pytest.raises(InvalidValue):
        judge(rule(bound=("mustBeAround", (1.0,))), Measured(1, 1))


def test_volume_trend_has_a_direction() -> None:
    r = QualityRule("volume:trend", "rowCount", None, ("trend", ()))
    drop_only = Volume(max_drop=0.5)
    history = [1000.0, 1100.0, 900.0]
    low = judge(r, Measured(400, 400), history=history, volume=drop_only)
    assert low.failed
    assert "the median of the last 3 periods is 1,000, at least 500 needed" in low.words()
    assert judge(r, Measured(5000, 5000), history=history, volume=drop_only).passed  # a rise
    both = Volume(max_drop=0.5, max_rise=1.0)
    assert judge(r, Measured(5000, 5000), history=history, volume=both).failed
    assert judge(r, Measured(10, 10), history=[], volume=both).passed  # nothing to compare


def test_a_contract_implies_completeness_uniqueness_and_volume() -> None:
    c = Contract(
        "orders",
        "orders",
        "de",
        schema=(
            Column("order_id", "string", required=True, unique=True),
            Column("email", "string", required=True, max_null_ratio=0.02),
            Column("note", "string"),
            Column("items.sku", "string", required=True),  # another table: not checked here
        ),
        volume=Volume(min_rows=100),
        quality=(rule("rowCount", ("mustBeLessThan", (1e6,)), column=None),),
    )
    checks = {r.id: (r.metric, r.bound, r.unit) for r in contract_checks(c)}
    assert checks == {
        "completeness:order_id": ("nullValues", ("mustBe", (0.0,)), "rows"),
        "uniqueness:order_id": ("duplicateValues", ("mustBe", (0.0,)), "rows"),
        "completeness:email": ("nullValues", ("mustBeLessOrEqualTo", (2.0,)), "percent"),
        "volume": ("rowCount", ("mustBeGreaterOrEqualTo", (100.0,)), "rows"),
        "rowCount:None": ("rowCount", ("mustBeLessThan", (1e6,)), "rows"),
    }


def test_the_window_is_the_current_periods_rows() -> None:
    now = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    daily = Contract("a", "a", "de", sla=DeadlineSla("daily", "UTC", timedelta(minutes=30)))
    w = quality_window(daily, now)
    assert w.key == "2026-11-25"
    assert w.start == datetime(2026, 11, 24, 12, 15, tzinfo=UTC)  # halfway after yesterday's
    age = Contract("b", "b", "de", freshness=AgeSla(None, timedelta(hours=6)))
    assert quality_window(age, now).start == now - timedelta(hours=6)
    assert quality_window(Contract("c", "c", "de"), now).start is None
