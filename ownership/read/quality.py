"""Quality rules as ODCS v3 writes them (`quality:` lists of library metrics and `type: sql`
rules), read from ODCS schema objects and properties and from demarc contracts' `quality:`
section, which also holds the volume limits (docs/quality.md)."""

from __future__ import annotations

from typing import Any

from ownership.model import QualityRule, SourceRef, Volume
from ownership.quality.checks import METRICS
from ownership.quality.verdict import ALIASES, BOUNDS, bound_problem
from ownership.read.fields import Collector, did_you_mean
from ownership.yamlsafe import YMap

VOLUME_FIELDS = ("min_rows", "max_rows", "max_drop", "max_rise", "trailing")
SECTION_FIELDS = (*VOLUME_FIELDS, "rules")
UNITS = ("rows", "percent")
WINDOWS = ("all", "period")  # a sql rule's `window`: the whole table, or the period's rows


def read_rules(
    c: Collector,
    raw: Any,
    where: SourceRef,
    what: str,
    *,
    column: str | None = None,
    prefix: str = "",
) -> tuple[QualityRule, ...]:
    """The checkable rules of an ODCS `quality` list; `column` for a property's list.

    A `type: text` or `custom` rule is documentation for people or another engine: skipped."""
    out: list[QualityRule] = []
    for n, (item, at) in enumerate(c.items(raw, where, f"{what} quality")):
        if not isinstance(item, YMap):
            c.error(at, f"each of {what} quality must be a mapping", "wrong-type")
            continue
        rule = _rule(c, item, at, what, column, f"{prefix}{n}")
        if rule is not None:
            out.append(rule)
    return tuple(out)


def _rule(
    c: Collector, m: YMap, at: SourceRef, what: str, column: str | None, index: str
) -> QualityRule | None:
    kind = str(m.get("type") or "library").strip().lower()
    if kind in ("text", "custom"):
        return None
    ctx = f"{what} quality rule {index}"
    bounds = [k for k in m if k in BOUNDS or k in ALIASES]
    if len(bounds) != 1:
        near = [k for k in m if isinstance(k, str) and k.startswith("must")]
        hint = did_you_mean(near[0], [*BOUNDS, *ALIASES]) if near else ""
        c.error(
            at,
            f"{ctx} needs exactly one comparison (mustBe, mustBeLessThan, mustBeBetween …){hint}",
            "bad-value",
        )
        return None
    name = bounds[0]
    value = m[name]
    operands = list(value) if isinstance(value, list) else [value]
    problem = bound_problem(name, operands)
    if problem is not None:
        c.error(m.value_at(name), f"{ctx}: {problem}", "bad-value")
        return None
    bound = (ALIASES.get(name, name), tuple(float(v) for v in operands))
    unit = str(m.get("unit") or "rows").strip().lower()
    if unit not in UNITS:
        c.error(m.value_at("unit"), f"{ctx}: unit must be rows or percent", "bad-value")
        return None
    label = m.get("name") if isinstance(m.get("name"), str) else None
    description = str(m.get("description") or "")
    if kind == "sql":
        query = m.get("query")
        if not isinstance(query, str) or not query.strip():
            c.error(at, f"{ctx}: a sql rule needs a query", "missing-field")
            return None
        rule_id = label or f"sql:{column or 'table'}:{index}"
        window, window_at = _window(m)
        if window not in WINDOWS:
            hint = did_you_mean(window, WINDOWS)
            c.error(window_at, f"{ctx}: window must be period or all{hint}", "bad-value")
            return None
        return QualityRule(
            rule_id, "sql", column, bound, unit, query=query.strip(), description=description,
            source=at, window=window,
        )  # fmt: skip
    if kind != "library":
        c.warn(m.value_at("type"), f"{ctx}: type {kind!r} is not checked by demarc", "ignored")
        return None
    metric = m.get("metric") or m.get("rule")
    if metric not in METRICS or metric == "sql":
        hint = did_you_mean(str(metric), METRICS[:-1]) if metric else ""
        c.error(
            m.value_at("metric"),
            f"{ctx}: metric {metric!r} is not one of {', '.join(METRICS[:-1])}{hint}",
            "bad-value",
        )
        return None
    if metric != "rowCount" and column is None:
        c.error(at, f"{ctx}: {metric} belongs under a property (a column)", "bad-value")
        return None
    raw_args = m.get("arguments")
    args: dict[str, Any] = dict(raw_args) if isinstance(raw_args, dict) else {}
    valid = args.get("validValues") or m.get("validValues") or ()
    missing = args.get("missingValues")
    pattern = args.get("pattern")
    if metric == "invalidValues" and not valid and not isinstance(pattern, str):
        c.error(at, f"{ctx}: invalidValues needs arguments validValues or pattern", "bad-value")
        return None
    rule_id = label or f"{metric}:{column or 'table'}"
    return QualityRule(
        rule_id,
        str(metric),
        column if metric != "rowCount" else None,
        bound,
        unit,
        valid_values=tuple(str(v) for v in valid) if isinstance(valid, list) else (),
        missing_values=tuple(None if v is None else str(v) for v in missing)
        if isinstance(missing, list)
        else (None,),
        pattern=pattern if isinstance(pattern, str) else None,
        description=description,
        source=at,
    )


def _window(m: YMap) -> tuple[str, SourceRef]:
    """A sql rule's `window` (demarc contracts), or ODCS's `customProperties` entry
    `{property: window, value: period}` (the standard allows no key of its own)."""
    if "window" in m:
        return str(m["window"]).strip().lower(), m.value_at("window")
    custom = m.get("customProperties")
    for item in custom if isinstance(custom, list) else ():
        if isinstance(item, YMap) and item.get("property") == "window":
            return str(item.get("value")).strip().lower(), item.value_at("value")
    return "all", m.value_at("query")


def read_section(
    c: Collector, raw: Any, where: SourceRef, what: str
) -> tuple[Volume | None, tuple[QualityRule, ...]]:
    """A demarc `quality:` section: volume limits and `rules:` (table-level ODCS rules)."""
    m = c.mapping(raw, where, f"{what} quality", SECTION_FIELDS)
    if m is None:
        return None, ()
    ints = {k: _number(c, m, k, what, whole=True) for k in ("min_rows", "max_rows", "trailing")}
    shares = {k: _number(c, m, k, what, whole=False) for k in ("max_drop", "max_rise")}
    volume = None
    if any(v is not None for v in (*ints.values(), *shares.values())):
        volume = Volume(
            min_rows=_int(ints["min_rows"]),
            max_rows=_int(ints["max_rows"]),
            max_drop=shares["max_drop"],
            max_rise=shares["max_rise"],
            trailing=_int(ints["trailing"]) or 7,
        )
    rules = read_rules(c, m.get("rules"), m.value_at("rules"), what, prefix="rules.")
    return volume, rules


def _number(c: Collector, m: YMap, key: str, what: str, *, whole: bool) -> float | None:
    value = m.get(key)
    if value is None:
        return None
    ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if (
        isinstance(value, bool)
        or not ok
        or value < 0
        or (not whole and value > 1 and key == "max_drop")
    ):
        want = "a whole number" if whole else "a share such as 0.5"
        c.error(m.value_at(key), f"{what} quality {key} must be {want}", "bad-value")
        return None
    return float(value)


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None
