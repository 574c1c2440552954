"""`change_notices:` entries (announced breaking changes) and the `formats:` settings."""

from __future__ import annotations

from typing import Any

from ownership.model import ChangeNotice, SourceRef
from ownership.read.fields import Collector, parse_date
from ownership.yamlsafe import YMap

NOTICE_FIELDS = ("id", "contract", "announced", "effective", "change", "scope")
FORMATS_FIELDS = ("lenient",)


def read_notice(c: Collector, raw: Any, where: SourceRef) -> ChangeNotice | None:
    m = c.mapping(raw, where, "change notice", NOTICE_FIELDS, ("contract", "announced", "change"))
    if m is None:
        return None
    contract = c.identifier(m, "contract", "change notice")
    what = f"change notice for '{contract}'"
    announced = c.parsed(m, "announced", what, parse_date)
    effective = c.parsed(m, "effective", what, parse_date)
    change = c.text(m, "change", what, required=True)
    scope = []
    for item, at in c.items(m.get("scope"), m.value_at("scope"), f"{what} scope"):
        if isinstance(item, str) and item.strip():
            scope.append(item.strip())
        else:
            c.error(
                at, f"{what}: each scope entry must be a column name or sla, owner …", "wrong-type"
            )
    if effective and announced and effective < announced:
        c.error(m.value_at("effective"), f"{what}: effective is before announced", "bad-value")
        return None
    if contract is None or announced is None or change is None:
        return None
    notice_id = c.identifier(m, "id", what, required=False) or f"{contract}@{announced}"
    return ChangeNotice(
        notice_id, contract, announced, change, effective, tuple(scope), source=m.where
    )


def read_formats(c: Collector, raw: Any, where: SourceRef) -> bool | None:
    """`formats: {lenient: true}`: the lenient setting, or None when not given."""
    m = c.mapping(raw, where, "formats", FORMATS_FIELDS)
    if not isinstance(m, YMap) or "lenient" not in m:
        return None
    return c.boolean(m, "lenient", "formats")
