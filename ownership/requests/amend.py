"""A change request on an existing contract: its file's data with the agreed terms in.

The requesting team joins the consumers, the SLA becomes the agreed one, and the requested
columns are added (or their type and requirement changed); nothing else in the file moves.
"""

from __future__ import annotations

from typing import Any

from ownership.requests.draft import update_time
from ownership.requests.model import DataRequestForm


def amend_contract(data: dict[str, Any], form: DataRequestForm) -> dict[str, Any]:
    out = dict(data)
    consumers = [str(c) for c in out.get("consumer_teams") or []]
    if form.consumer_team not in consumers:
        consumers.append(form.consumer_team)
    out["consumer_teams"] = consumers
    out.pop("freshness", None)  # an age SLA gives way to the agreed deadline
    out["sla"] = {
        "update_frequency": form.freshness.frequency,
        "update_time": update_time(form),
        "max_delay": form.freshness.max_delay,
    }
    schema = dict(out.get("schema") or {}) if isinstance(out.get("schema"), dict) else {}
    for column in form.columns:
        was = schema.get(column.name)
        entry = dict(was) if isinstance(was, dict) else {}
        entry.update(type=column.type, required=column.required)
        schema[column.name] = entry
    if schema:
        out["schema"] = schema
    return out
