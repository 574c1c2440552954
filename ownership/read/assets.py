"""`assets:`, `raci:` and `silences:` entries."""

from __future__ import annotations

from typing import Any

from ownership.errors import InvalidValue
from ownership.model import KNOWN_ASSET_KINDS, Activity, Asset, Role, RoleMap, Silence, SourceRef
from ownership.read.fields import (
    SLACK_CHANNEL,
    Collector,
    did_you_mean,
    parse_instant,
    positions,
)
from ownership.read.probes import read_probe
from ownership.yamlsafe import YMap

ASSET_FIELDS = (
    "id", "kind", "description", "aliases", "upstream", "runbook", "owner", "activity", "raci",
    "incident_channel", "tags", "probe",
)  # fmt: skip
ACTIVITY_FIELDS = ("name", "aliases", "roles", "description")
RACI_FIELDS = ("activities", "kinds")
SILENCE_FIELDS = ("asset", "from", "to", "reason")


def parse_roles(value: Any) -> frozenset[Role]:
    """ "R/A", "R", "C", ["R", "A"] -> a role set; any other letter is an error."""
    if isinstance(value, list):
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        parts = value.replace(",", "/").replace(" ", "/").split("/")
    else:
        raise InvalidValue(f'expected roles like "R/A" or "C", got {value!r}')
    roles = set()
    for part in (p.strip().upper() for p in parts):
        if not part:
            continue
        try:
            roles.add(Role(part))
        except ValueError:
            raise InvalidValue(f'unknown role {part!r}: use R, A, C or I (e.g. "R/A")') from None
    if not roles:
        raise InvalidValue('no role given: use R, A, C or I (e.g. "R/A")')
    return frozenset(roles)


def read_role_map(
    c: Collector, raw: Any, where: SourceRef, what: str
) -> tuple[RoleMap, YMap | None]:
    if not isinstance(raw, YMap):
        c.error(
            where,
            f"{what} must map team ids to roles, e.g. {{data_engineering: R/A}}",
            "wrong-type",
        )
        return (), None
    for key, at in raw.duplicates:
        c.error(at, f"duplicate key '{key}' in {what}", "duplicate-key")
    out = []
    for key in raw:
        roles = c.parsed(raw, key, f"{what} '{key}'", parse_roles)
        if roles is not None:
            out.append((key, roles))
    return tuple(out), raw


def read_asset(c: Collector, raw: Any, where: SourceRef) -> Asset | None:
    m = c.mapping(raw, where, "asset", ASSET_FIELDS, required=("id", "kind"))
    if m is None:
        return None
    asset_id = c.identifier(m, "id", "asset")
    kind = c.identifier(m, "kind", f"asset '{asset_id}'")
    if asset_id is None or kind is None:
        return None
    what = f"asset '{asset_id}'"
    if kind not in KNOWN_ASSET_KINDS:
        c.warn(
            m.value_at("kind"),
            f"{what} has kind '{kind}', not one of {', '.join(KNOWN_ASSET_KINDS)}"
            f"{did_you_mean(kind, KNOWN_ASSET_KINDS)}",
            "unknown-kind",
        )
    raci: RoleMap = ()
    if m.get("raci") is not None:
        raci, _ = read_role_map(c, m["raci"], m.value_at("raci"), f"{what} raci")
    channel = None
    if m.get("incident_channel") is not None:
        channel = c.pattern(
            m["incident_channel"],
            m.value_at("incident_channel"),
            SLACK_CHANNEL,
            f"{what} incident_channel",
            '"#churn-incidents"',
        )
    return Asset(
        id=asset_id,
        kind=kind,
        description=c.text(m, "description", what) or "",
        aliases=_names(c, m, "aliases", what),
        upstream=_names(c, m, "upstream", what),
        runbook=c.text(m, "runbook", what),
        owner=c.identifier(m, "owner", what, required=False),
        activity=c.identifier(m, "activity", what, required=False),
        raci=raci,
        incident_channel=channel,
        probe=read_probe(c, m, what),
        source=m.where,
        at=positions(m),
    )


def _names(c: Collector, m: YMap, key: str, what: str) -> tuple[str, ...]:
    names = []
    for item, at in c.items(m.get(key), m.value_at(key), f"{what} {key}"):
        if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            names.append(str(item).strip())
        else:
            c.error(at, f"each of {what} {key} must be a name", "wrong-type")
    return tuple(names)


def read_raci(c: Collector, raw: Any, where: SourceRef) -> tuple[list[Activity], dict[str, str]]:
    """The activity matrix and the asset-kind → activity defaults."""
    m = c.mapping(raw, where, "raci", RACI_FIELDS)
    if m is None:
        return [], {}
    activities: list[Activity] = []
    acts = m.get("activities")
    if acts is not None:
        a = c.mapping(
            acts,
            m.value_at("activities"),
            "raci activities",
            tuple(acts) if isinstance(acts, dict) else (),
        )
        for act_id in a or {}:
            at = a.value_at(act_id) if a is not None else where
            entry = c.mapping(
                a[act_id] if a else None, at, f"activity '{act_id}'", ACTIVITY_FIELDS, ("roles",)
            )
            if entry is None or entry.get("roles") is None:
                continue
            roles, _ = read_role_map(
                c, entry["roles"], entry.value_at("roles"), f"activity '{act_id}' roles"
            )
            activities.append(
                Activity(
                    id=act_id,
                    name=c.text(entry, "name", f"activity '{act_id}'") or act_id.replace("_", " "),
                    roles=roles,
                    aliases=_names(c, entry, "aliases", f"activity '{act_id}'"),
                    source=entry.where,
                    at=positions(entry),
                )
            )
    kinds: dict[str, str] = {}
    raw_kinds = m.get("kinds")
    if raw_kinds is not None:
        k = c.mapping(
            raw_kinds,
            m.value_at("kinds"),
            "raci kinds",
            tuple(raw_kinds) if isinstance(raw_kinds, dict) else (),
        )
        for kind in k or {}:
            act = c.identifier(k, kind, f"raci kinds '{kind}'") if k is not None else None
            if act:
                kinds[kind] = act
    return activities, kinds


def read_silence(c: Collector, raw: Any, where: SourceRef) -> Silence | None:
    m = c.mapping(raw, where, "silence", SILENCE_FIELDS, ("asset", "from", "to"))
    if m is None:
        return None
    asset = c.identifier(m, "asset", "silence")
    start = c.parsed(m, "from", "silence", parse_instant)
    end = c.parsed(m, "to", "silence", parse_instant)
    if start and end and end <= start:
        c.error(m.value_at("to"), "silence ends before it starts", "bad-value")
        return None
    if not (asset and start and end):
        return None
    return Silence(asset, start, end, c.text(m, "reason", "silence") or "", m.where)
