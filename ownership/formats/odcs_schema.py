"""An ODCS contract's `schema` objects, read into demarc's columns and quality rules, and
the physical table and timestamp column its probe reads."""

from __future__ import annotations

from ownership.model import Column, QualityRule, SourceRef
from ownership.read.fields import Collector
from ownership.read.quality import read_rules
from ownership.yamlsafe import YMap


def read_schema(
    c: Collector, objects: list[tuple[YMap, SourceRef]], element: str | None, what: str
) -> tuple[str | None, str | None, tuple[Column, ...], tuple[QualityRule, ...]]:
    """(physical table, physical timestamp column, columns, the primary object's quality
    rules); the element's table is primary."""
    table_ref, column_ref = None, element
    if element and "." in element:
        table_ref, column_ref = element.rsplit(".", 1)
    matched = next((o for o, _ in objects if table_ref in (o["name"], o.get("physicalName"))), None)
    primary = matched or (objects[0][0] if objects else None)
    columns: list[Column] = []
    rules: list[QualityRule] = []
    physical_column = None
    for obj, _ in sorted(objects, key=lambda o: o[0] is not primary):
        prefix = "" if obj is primary else f"{obj['name']}."
        if obj is primary:
            rules.extend(read_rules(c, obj.get("quality"), obj.value_at("quality"), what))
        for prop, _ in c.items(obj.get("properties"), obj.value_at("properties"), what):
            if not isinstance(prop, YMap) or not isinstance(prop.get("name"), str):
                continue
            kind = prop.get("physicalType") or prop.get("logicalType") or ""
            if obj is primary and prop["name"] == column_ref and (matched or not table_ref):
                physical_column = str(prop.get("physicalName") or prop["name"])
            physical = str(prop.get("physicalName") or prop["name"])
            columns.append(
                Column(
                    name=prefix + prop["name"],
                    type=str(kind),
                    required=prop.get("required") is True,
                    description=str(prop.get("description") or ""),
                    unique=prop.get("unique") is True or prop.get("primaryKey") is True,
                    physical=physical if physical != prop["name"] else None,
                )
            )
            if obj is primary:
                rules.extend(
                    read_rules(
                        c,
                        prop.get("quality"),
                        prop.value_at("quality"),
                        what,
                        column=physical,
                        prefix=f"{prop['name']}.",
                    )
                )
    table = table_ref.split(".")[-1] if table_ref else None
    if matched is not None or (primary is not None and table_ref is None):
        assert primary is not None
        table = str(primary.get("physicalName") or primary["name"])
    return table, physical_column or column_ref, tuple(columns), tuple(rules)


def server_schema(doc: YMap) -> str | None:
    """The database schema of the first server that names one."""
    servers = doc.get("servers")
    if isinstance(servers, list):
        for server in servers:
            if isinstance(server, dict) and isinstance(server.get("schema"), str):
                return str(server["schema"])
    return None
