"""Open Data Contract Standard v3.0 to v3.2 (bitol-io), read into demarc's `Contract`.

The document is checked against the ODCS JSON Schema shipped by the `open-data-contract-standard`
package (problems have code `format-schema`, warnings in lenient mode), then the fields demarc
uses are read with positions (its SLA in `odcs_sla`, its schema objects in `odcs_schema`);
docs/formats.md has the mapping table.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from ownership.formats.common import (
    Extension,
    FormatResult,
    Imported,
    read_extension,
    schema_problems,
    slug,
    to_json,
)
from ownership.formats.odcs_schema import read_schema, server_schema
from ownership.formats.odcs_sla import read_sla
from ownership.model import ChangePolicy, Contract, Person, SourceRef, SqlProbe, Team
from ownership.read.fields import IDENTIFIER, SLACK_CHANNEL, Collector
from ownership.yamlsafe import YList, YMap

SUPPORTED = re.compile(r"^v3\.[0-2]\.\d+$")
DEFAULT_CONNECTION = "ODCS_WAREHOUSE_URL"
EXTENSION_PROPERTY = "demarc"
_SLACK_URL = re.compile(r"slack\.com/(?:archives|messages)/([CG][A-Z0-9]{2,})")


def is_odcs(doc: YMap) -> bool:
    api = doc.get("apiVersion")
    return "apiVersion" in doc and not (isinstance(api, str) and api.startswith("backstage.io/"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    from importlib.resources import files

    from jsonschema import Draft201909Validator

    text = (files("open_data_contract_standard") / "schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    _require_if_keys(schema)
    return Draft201909Validator(schema)


def _require_if_keys(node: Any) -> None:
    """Fix the schema's `if: {properties: {logicalType: {const: map}}}` conditions, which also
    hold when logicalType is absent (JSON Schema's vacuous truth): the 3.2.0 schema then asks
    every property without a logicalType for a `map`. An `if` on a key's value now needs the key.
    """
    if isinstance(node, dict):
        cond = node.get("if")
        if isinstance(cond, dict):
            for part in [cond, *cond.get("anyOf", [])]:
                if (
                    isinstance(part, dict)
                    and "required" not in part
                    and isinstance(part.get("properties"), dict)
                ):
                    part["required"] = sorted(part["properties"])
        for value in node.values():
            _require_if_keys(value)
    elif isinstance(node, list):
        for value in node:
            _require_if_keys(value)


def read_odcs(c: Collector, doc: YMap) -> FormatResult:
    out = FormatResult()
    api = doc.get("apiVersion")
    if not isinstance(api, str) or not SUPPORTED.match(api.strip()):
        hint = (
            " (ODCS v2 has another layout: convert it to v3)" if str(api).startswith("v2") else ""
        )
        c.error(
            doc.value_at("apiVersion"),
            f"apiVersion {api!r} is not one demarc reads: ODCS v3.0.x to v3.2.x{hint}",
            "unsupported-format",
        )
        return out
    validator = _validator()
    schema_problems(c, doc, validator.iter_errors(to_json(doc)), "ODCS", validator.schema)
    if doc.get("kind", "DataContract") != "DataContract":
        return out  # the schema check said why
    objects = [(o, at) for o, at in c.items(doc.get("schema"), doc.value_at("schema"), "schema")]
    objects = [
        (o, at) for o, at in objects if isinstance(o, YMap) and isinstance(o.get("name"), str)
    ]
    name = next(
        (
            v
            for v in (doc.get("name"), doc.get("dataProduct"), *(o["name"] for o, _ in objects))
            if isinstance(v, str) and v.strip()
        ),
        doc.get("id"),
    )
    contract_id = slug(str(name)) if name is not None else ""
    if not IDENTIFIER.match(contract_id):
        c.error(doc.where, "an ODCS contract needs a name (or dataProduct or id)", "missing-field")
        return out
    what = f"contract '{contract_id}'"
    ext = _extension(c, doc, what)
    team_name, team_at, members = _team(c, doc, what)
    alert, change, contacts = _support(c, doc, what)
    sla, age, element = read_sla(c, doc, what)
    table, column_name, columns, rules = read_schema(c, objects, element, what)
    probe = None
    if element and table and (sla or age):
        probe = SqlProbe(
            ext.connection or DEFAULT_CONNECTION, table, column_name or element, server_schema(doc)
        )
    owner = ext.owner_team or team_name or ""
    contract = Contract(
        id=contract_id,
        asset=contract_id,
        owner_team=owner,
        consumer_teams=ext.consumer_teams,
        sla=sla,
        freshness=age,
        schema=columns,
        change_policy=ChangePolicy(
            notice_days=ext.notice_days, channel=ext.change_channel or change
        ),
        contacts=tuple(contacts),
        probe=probe,
        alert_channel=ext.alert_channel or alert,
        source=doc.where,
        format="odcs",
        description=_description(doc),
        asset_kind=ext.asset_kind,
        quality=rules,
    )
    owner_at = ext.owner_at if ext.owner_team else team_at
    inline = None
    if team_name and members:
        inline = Team(
            id=slug(team_name),
            name=team_name,
            oncall_channel=alert,
            members=tuple(Person(name=m, email=m if "@" in m else None) for m in members),
            source=team_at or doc.where,
        )
    names = [str(n) for o, _ in objects for n in (o["name"], o.get("physicalName")) if n]
    out.contracts.append(
        Imported(
            contract,
            owner_at or doc.where,
            ext.consumers_at or doc.where,
            members,
            ext.consumer_at,
            inline_team=inline,
            aliases=tuple(dict.fromkeys(n for n in names if slug(n) != contract_id)),
            teamless=doc.get("team") is None and not ext.owner_team,
        )
    )
    return out


def _extension(c: Collector, doc: YMap, what: str) -> Extension:
    props = doc.get("customProperties")
    for item, _ in c.items(props, doc.value_at("customProperties"), "customProperties"):
        if isinstance(item, YMap) and item.get("property") == EXTENSION_PROPERTY:
            return read_extension(
                c, item.get("value"), item.value_at("value"), f"{what} customProperties demarc"
            )
    return Extension()


def _description(doc: YMap) -> str:
    raw = doc.get("description")
    if isinstance(raw, dict):
        raw = raw.get("purpose")
    return raw.strip() if isinstance(raw, str) else ""


def _team(
    c: Collector, doc: YMap, what: str
) -> tuple[str | None, SourceRef | None, tuple[str, ...]]:
    """The team's name (object shape) and its current members, owners first."""
    raw = doc.get("team")
    name, at, members = None, None, None
    if isinstance(raw, YMap):
        for key in ("id", "name"):
            if isinstance(raw.get(key), str) and raw[key].strip():
                name, at = raw[key].strip(), raw.value_at(key)
        members = raw.get("members")
        where = raw.value_at("members")
    elif isinstance(raw, YList):  # deprecated (v3.0) shape: a list of members
        members, where = raw, doc.value_at("team")
    else:
        return None, None, ()
    current: list[tuple[bool, str]] = []
    for item, _ in c.items(members, where, f"{what} team members"):
        if not isinstance(item, YMap):
            continue  # the schema check reports it
        person = item.get("username") or item.get("name")
        if not isinstance(person, str) or not person.strip():
            continue  # the schema check reports it
        if item.get("dateOut") is None:
            role = str(item.get("role") or "").lower()
            current.append(("owner" not in role, person.strip()))
    return name, at, tuple(p for _, p in sorted(current, key=lambda x: x[0]))


def _support(
    c: Collector, doc: YMap, what: str
) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    alert = change = None
    contacts: list[tuple[str, str]] = []
    for item, _ in c.items(doc.get("support"), doc.value_at("support"), f"{what} support"):
        if not isinstance(item, YMap):
            continue
        name, url = item.get("channel"), item.get("url")
        tool = str(item.get("tool") or "").strip().lower()
        shown = name if isinstance(name, str) else url
        if isinstance(shown, str):
            contacts.append((tool or "support", shown))
        slack_id = _SLACK_URL.search(url) if isinstance(url, str) else None
        is_slack = tool == "slack" or slack_id is not None
        if not is_slack:
            continue
        channel = slack_id.group(1) if slack_id else None
        if channel is None and isinstance(name, str):
            channel = name.strip() if name.strip().startswith("#") else "#" + name.strip()
            if not SLACK_CHANNEL.match(channel):
                c.error(
                    item.value_at("channel"),
                    f"{what} support: Slack channel {name!r} is not a valid channel name "
                    '(e.g. "#data-eng-oncall")',
                    "bad-value",
                )
                continue
        if channel is None:
            continue
        if str(item.get("scope") or "").lower() == "announcements":
            change = change or channel
        else:
            alert = alert or channel
    return alert, change, contacts
