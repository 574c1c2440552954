"""A measured number against its rule's bound: passed or failed, and by how much, in words.

`count` is what the check counted in the period's rows (nulls, duplicates, rows …); a percent
rule compares `count / rows`. A check whose query failed has no number and is never passed.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ownership.errors import InvalidValue
from ownership.model import QualityRule, Volume

BOUNDS = {  # ODCS name -> operands it takes
    "mustBe": 1,
    "mustNotBe": 1,
    "mustBeGreaterThan": 1,
    "mustBeGreaterOrEqualTo": 1,
    "mustBeLessThan": 1,
    "mustBeLessOrEqualTo": 1,
    "mustBeBetween": 2,
    "mustNotBeBetween": 2,
}
ALIASES = {
    "mustBeGreaterThanOrEqualTo": "mustBeGreaterOrEqualTo",
    "mustBeLessThanOrEqualTo": "mustBeLessOrEqualTo",
}
NOUNS = {
    "nullValues": "nulls",
    "missingValues": "missing values",
    "duplicateValues": "duplicate values",
    "invalidValues": "invalid values",
    "rowCount": "rows",
    "sql": "result",
    "dbt": "failing rows",  # a dbt test's `failures`
    "type": "values not of the declared type",
}
SINGULAR = {
    "nulls": "null",
    "missing values": "missing value",
    "duplicate values": "duplicate value",
    "invalid values": "invalid value",
    "failing rows": "failing row",
    "values not of the declared type": "value not of the declared type",
}


@dataclass(frozen=True, slots=True)
class Measured:
    """What the query read: `count` for the rule, `rows` in the period (None: not read)."""

    count: float | None
    rows: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    rule: QualityRule
    passed: bool | None  # None: the check failed (no number)
    value: float | None = None  # compared with the bound: a count, or a percent
    count: float | None = None
    rows: int | None = None
    expected: str = ""  # the bound in words ("none allowed", "at least 1000")
    off_by: float | None = None  # how far outside the bound, in the value's unit
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.passed is False

    def words(self) -> str:
        """One line for an alert: what failed, on which column, by how much."""
        rule = self.rule
        where = f" in {rule.column}" if rule.column else ""
        if self.passed is None:
            return f"{rule.id}: the check failed: {self.error or 'no result'}"
        noun = NOUNS.get(rule.metric, "result")
        if rule.metric == "rowCount":
            said = f"{_num(self.count)} rows this period"
        elif rule.metric == "sql":
            said = f"the query returned {_num(self.count)}"
        else:
            if self.count == 1:
                noun = SINGULAR.get(noun, noun)
            said = f"{_num(self.count)} {noun}{where}"
            if self.rows is not None:
                said += f" of {_num(self.rows)} rows"
        if rule.unit == "percent" and self.value is not None:
            said += f" ({_num(round(self.value, 2))}%)"
        if self.passed:
            return f"{rule.id}: {said}, {self.expected}: passed"
        off = ""
        if self.off_by is not None and self.off_by > 0:
            unit = " points" if rule.unit == "percent" else ""
            off = f", off by {_num(round(self.off_by, 2))}{unit}"
        return f"{rule.id}: {said}; {self.expected}{off}"


def bound_problem(name: str, operands: Sequence[object]) -> str | None:
    """Why an ODCS comparison cannot be checked, or None."""
    name = ALIASES.get(name, name)
    if name not in BOUNDS:
        return f"unknown comparison {name!r} (one of {', '.join(BOUNDS)})"
    if len(operands) != BOUNDS[name] or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in operands
    ):
        want = "two numbers [low, high]" if BOUNDS[name] == 2 else "a number"
        return f"{name} takes {want}"
    return None


def judge(
    rule: QualityRule,
    measured: Measured,
    *,
    history: Sequence[float] = (),
    volume: Volume | None = None,
) -> Verdict:
    """The verdict of `rule` on what was measured (`history`: earlier periods' row counts,
    for the volume trend)."""
    if measured.error is not None or measured.count is None:
        return Verdict(rule, None, rows=measured.rows, error=measured.error or "no result")
    count, rows = measured.count, measured.rows
    value = count
    if rule.unit == "percent":
        if not rows:
            return Verdict(rule, True, 0.0, count, rows, "no rows this period", None)
        value = 100.0 * count / rows
    name, ops = rule.bound
    if name == "trend":
        return _trend(rule, count, history, volume or Volume())
    name = ALIASES.get(name, name)
    problem = bound_problem(name, ops)
    if problem is not None:
        raise InvalidValue(problem)
    passed, off = _compare(name, value, ops)
    return Verdict(rule, passed, value, count, rows, _expected(name, ops, rule.unit), off)


def _compare(name: str, v: float, ops: tuple[float, ...]) -> tuple[bool, float]:
    a = ops[0]
    if name == "mustBe":
        return v == a, abs(v - a)
    if name == "mustNotBe":
        return v != a, 0.0
    if name == "mustBeGreaterThan":
        return v > a, max(0.0, a - v)
    if name == "mustBeGreaterOrEqualTo":
        return v >= a, max(0.0, a - v)
    if name == "mustBeLessThan":
        return v < a, max(0.0, v - a)
    if name == "mustBeLessOrEqualTo":
        return v <= a, max(0.0, v - a)
    low, high = sorted(ops)
    inside = low <= v <= high
    if name == "mustBeBetween":
        return inside, max(0.0, low - v, v - high)
    return not inside, 0.0  # mustNotBeBetween


def _expected(name: str, ops: tuple[float, ...], unit: str) -> str:
    pct = "%" if unit == "percent" else ""
    a = f"{_num(ops[0])}{pct}"
    if name == "mustBe":
        return "none allowed" if ops[0] == 0 else f"must be {a}"
    words = {
        "mustNotBe": f"must not be {a}",
        "mustBeGreaterThan": f"more than {a} needed",
        "mustBeGreaterOrEqualTo": f"at least {a} needed",
        "mustBeLessThan": f"fewer than {a} allowed",
        "mustBeLessOrEqualTo": f"at most {a} allowed",
    }
    if name in words:
        return words[name]
    low, high = sorted(ops)
    span = f"{_num(low)}{pct} to {_num(high)}{pct}"
    return f"must be {span}" if name == "mustBeBetween" else f"must not be {span}"


def _trend(rule: QualityRule, count: float, history: Sequence[float], vol: Volume) -> Verdict:
    earlier = list(history)[-vol.trailing :]
    if not earlier:
        return Verdict(rule, True, count, count, None, "no earlier periods to compare with")
    median = statistics.median(earlier)
    low = median * (1 - vol.max_drop) if vol.max_drop is not None else None
    high = median * (1 + vol.max_rise) if vol.max_rise is not None else None
    median_words = f"the median of the last {len(earlier)} periods is {_num(median)}"
    if low is not None and count < low:
        return Verdict(
            rule,
            False,
            count,
            count,
            None,
            f"{median_words}, at least {_num(low)} needed",
            low - count,
        )
    if high is not None and count > high:
        return Verdict(
            rule,
            False,
            count,
            count,
            None,
            f"{median_words}, at most {_num(high)} allowed",
            count - high,
        )
    return Verdict(rule, True, count, count, None, median_words, 0.0)


def _num(v: float | int | None) -> str:
    if v is None:
        return "?"
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")
