"""Why an alert or incident was resolved: the answer recorded in its timeline."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    FIXED_UPSTREAM = "fixed_upstream"
    FIXED_HERE = "fixed_here"
    EXPECTED = "expected"
    FALSE_ALARM = "false_alarm"
    SLA_TOO_TIGHT = "sla_too_tight"


LABELS: dict[Reason, str] = {
    Reason.FIXED_UPSTREAM: "Fixed upstream",
    Reason.FIXED_HERE: "Fixed here",
    Reason.EXPECTED: "Expected or planned",
    Reason.FALSE_ALARM: "False alarm",
    Reason.SLA_TOO_TIGHT: "SLA too tight",
}


def parse_reason(text: str | None) -> Reason | None:
    """A reason's value or label (any case, `-`/space for `_`); None when blank or unknown."""
    if not text:
        return None
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    for reason, label in LABELS.items():
        if key in (reason.value, label.lower().replace(" ", "_")):
            return reason
    return None
