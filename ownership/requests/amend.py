"""A change request on an existing contract: its file's data with the agreed terms in.

The requesting team joins the consumers, the SLA becomes the agreed one, and the requested
columns are added (or their type and requirement changed); nothing else in the file moves.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

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


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")


def amend_text(text: str, data: dict[str, Any], form: DataRequestForm) -> str:
    """The file's text with only the changed top-level entries rewritten: comments, order and
    every other entry stay byte for byte (a `#channel` the user left unquoted included)."""
    amended = amend_contract(data, form)
    changed = {k: v for k, v in amended.items() if data.get(k) != v or k not in data}
    removed = {k for k in data if k not in amended}
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines(keepends=True):
        match = _TOP_KEY.match(line)
        if match:
            blocks.append((match.group(1), [line]))
        else:
            blocks[-1][1].append(line)
    out: list[str] = []
    for key, lines in blocks:
        if key in removed:
            continue
        if key in changed:
            trailing = [x for x in reversed(lines) if not x.strip()]  # keep the blank lines
            out.append(_dump(key, changed.pop(key)) + "".join(trailing))
        else:
            out.extend(lines)
    if out and not out[-1].endswith("\n"):
        out.append("\n")
    out.extend(_dump(key, value) for key, value in changed.items())
    return "".join(out)


def _dump(key: str, value: Any) -> str:
    """One top-level entry; a schema keeps the example's one-line-a-column shape."""
    if key == "schema" and isinstance(value, dict):
        lines = [f"{key}:\n"]
        for name, column in value.items():
            flow = yaml.safe_dump(column, default_flow_style=True, sort_keys=False, width=1000)
            lines.append(f"  {name}: {flow.strip()}\n")
        return "".join(lines)
    return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=100)
