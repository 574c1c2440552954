"""Who an incident brings in, per RACI across the boundary: the fan-out plan, pure.

Responders (their on-call is tagged): the R teams of the asset; the R teams of every broken or
late upstream asset; and the R teams of the `production_incident` activity when the registry
has it (the lecture's "production incident: R for both teams"), so Data Engineering is tagged
on an MLOps asset's incident even when nothing upstream is late. A discipline key in that row
means the asset's owner when it is of that discipline, else the teams of that discipline with a
stake in the asset: its contract's consumers and the owners of its lineage (never every team).

The Accountable is named, and tagged only on escalation. Consulted teams are mentioned in the
thread. Informed teams get a one-line notice, without any ping, in their own channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ownership.answers import normalise, suggest
from ownership.lineage import walk
from ownership.model import Asset, Registry, Role, Team
from ownership.oncall import on_call
from ownership.raci import Roles, asset_owner, asset_roles, expand_key, stake

PRODUCTION_INCIDENT = "production_incident"


@dataclass(frozen=True, slots=True)
class TeamRef:
    """A team as the incident saw it when it was opened (who was on call then, and why)."""

    team_id: str
    name: str
    usergroup_id: str | None = None
    oncall_id: str | None = None
    oncall_name: str | None = None
    channel: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentPlan:
    asset: str
    channel: str | None
    responders: tuple[TeamRef, ...] = ()
    accountable: tuple[TeamRef, ...] = ()
    consulted: tuple[TeamRef, ...] = ()
    informed: tuple[TeamRef, ...] = ()
    broken_upstream: tuple[tuple[str, str], ...] = field(default=())  # (asset, why)

    @property
    def involved_team_ids(self) -> frozenset[str]:
        """Responsible, Accountable and Consulted teams: whose members may act on it."""
        return frozenset(t.team_id for t in (*self.responders, *self.accountable, *self.consulted))

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "channel": self.channel,
            "responders": [_ref_dict(t) for t in self.responders],
            "accountable": [_ref_dict(t) for t in self.accountable],
            "consulted": [_ref_dict(t) for t in self.consulted],
            "informed": [_ref_dict(t) for t in self.informed],
            "broken_upstream": [list(pair) for pair in self.broken_upstream],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IncidentPlan:
        def refs(key: str) -> tuple[TeamRef, ...]:
            return tuple(_ref(item) for item in data.get(key) or ())

        return cls(
            asset=str(data["asset"]),
            channel=data.get("channel"),
            responders=refs("responders"),
            accountable=refs("accountable"),
            consulted=refs("consulted"),
            informed=refs("informed"),
            broken_upstream=tuple(
                (str(a), str(why)) for a, why in data.get("broken_upstream") or ()
            ),
        )


def _ref_dict(ref: TeamRef) -> dict[str, Any]:
    return {
        "team_id": ref.team_id,
        "name": ref.name,
        "usergroup_id": ref.usergroup_id,
        "oncall_id": ref.oncall_id,
        "oncall_name": ref.oncall_name,
        "channel": ref.channel,
        "reasons": list(ref.reasons),
    }


def _ref(data: Mapping[str, Any]) -> TeamRef:
    return TeamRef(
        team_id=str(data["team_id"]),
        name=str(data["name"]),
        usergroup_id=data.get("usergroup_id"),
        oncall_id=data.get("oncall_id"),
        oncall_name=data.get("oncall_name"),
        channel=data.get("channel"),
        reasons=tuple(str(r) for r in data.get("reasons") or ()),
    )


# ---------------------------------------------------------------------- finding the asset
def find_asset(registry: Registry, query: str) -> Asset | None:
    """The asset named by its id or one of its aliases, however people type it."""
    text = query.strip().strip("`'\"")
    if text in registry.assets:
        return registry.assets[text]
    key = normalise(text)
    for asset in registry.assets.values():
        if key in (normalise(asset.id), *(normalise(a) for a in asset.aliases)):
            return asset
    return None


def suggest_assets(registry: Registry, query: str, limit: int = 3) -> tuple[str, ...]:
    """Close asset ids (activities are left out: an incident is about an asset)."""
    return tuple(s for s in suggest(registry, query, limit + 3) if s in registry.assets)[:limit]


def team_channel(team: Team | None) -> str | None:
    return (team.incident_channel or team.oncall_channel) if team else None


def incident_channel(
    registry: Registry, asset: Asset, responders: tuple[str, ...] = ()
) -> str | None:
    """The asset's incident channel, else its owner's incident or on-call channel, else that of
    the nearest upstream owner, else the first responder team's (e.g. for a product team's
    dashboard when the product team has no channel)."""
    if asset.incident_channel:
        return asset.incident_channel
    upstream_owners = [
        asset_owner(registry, registry.assets[a]) for a, _ in walk(registry, asset.id, "up")
    ]
    for team_id in (asset_owner(registry, asset), *upstream_owners, *responders):
        channel = team_channel(registry.teams.get(team_id or ""))
        if channel:
            return channel
    return None


# ---------------------------------------------------------------------- the plan
def plan_incident(
    registry: Registry, asset: Asset, now: datetime, broken: Mapping[str, str]
) -> IncidentPlan:
    """The fan-out for an incident on `asset` at `now`; `broken` maps upstream asset ids that
    are late or broken right now to a few words on why (e.g. "late")."""
    roles = asset_roles(registry, asset)
    owner = asset_owner(registry, asset)
    row = _incident_row(registry, asset, owner)
    responders: dict[str, list[str]] = {}
    accountable: dict[str, list[str]] = {}
    consulted: dict[str, list[str]] = {}
    informed: dict[str, list[str]] = {}
    for team_id in _ordered(roles, owner):
        held = roles[team_id]
        if Role.RESPONSIBLE in held:
            responders.setdefault(team_id, []).append(f"Responsible for {asset.id}")
        if Role.ACCOUNTABLE in held:
            accountable.setdefault(team_id, []).append(f"Accountable for {asset.id}")
        if Role.CONSULTED in held:
            consulted.setdefault(team_id, []).append(f"Consulted on {asset.id}")
        if Role.INFORMED in held:
            informed.setdefault(team_id, []).append(f"Informed about {asset.id}")
    ups = [a for a, _ in walk(registry, asset.id, "up") if a in broken]
    for up in ups:
        up_roles = asset_roles(registry, registry.assets[up])
        for team_id, held in up_roles.items():
            if Role.RESPONSIBLE in held:
                reason = f"Responsible for upstream {up} ({broken[up]})"
                responders.setdefault(team_id, []).append(reason)
            elif Role.INFORMED in held:
                informed.setdefault(team_id, []).append(f"uses {up} ({broken[up]})")
    row_name = _row_name(registry)
    for team_id, held in row.items():
        for role, bucket in (
            (Role.RESPONSIBLE, responders),
            (Role.ACCOUNTABLE, accountable),
            (Role.CONSULTED, consulted),
            (Role.INFORMED, informed),
        ):
            if role in held:
                bucket.setdefault(team_id, []).append(f"{role.value} in the RACI row {row_name}")
    engaged = set(responders) | set(accountable)
    consulted = {t: r for t, r in consulted.items() if t not in engaged}
    informed = {t: r for t, r in informed.items() if t not in engaged and t not in consulted}
    return IncidentPlan(
        asset=asset.id,
        channel=incident_channel(registry, asset, tuple(responders)),
        responders=_refs(registry, responders, now, oncall=True),
        accountable=_refs(registry, accountable, now, oncall=True),
        consulted=_refs(registry, consulted, now, oncall=False),
        informed=_refs(registry, informed, now, oncall=False),
        broken_upstream=tuple((up, broken[up]) for up in ups),
    )


def _ordered(roles: Roles, owner: str | None) -> list[str]:
    """The owner first, then the other teams in the order the RACI gave them."""
    return sorted(roles, key=lambda team_id: team_id != owner)


def _row_name(registry: Registry) -> str:
    activity = registry.activities.get(PRODUCTION_INCIDENT)
    return activity.name if activity else PRODUCTION_INCIDENT


def _incident_row(registry: Registry, asset: Asset, owner: str | None) -> Roles:
    activity = registry.activities.get(PRODUCTION_INCIDENT)
    if activity is None:
        return {}
    involved = _lineage_teams(registry, asset)
    roles: Roles = {}
    for key, held in activity.roles:
        for team_id in expand_key(registry, key, owner, involved):  # the rule whoowns uses
            roles[team_id] = roles.get(team_id, frozenset()) | held
    return roles


def _lineage_teams(registry: Registry, asset: Asset) -> frozenset[str]:
    """Teams with a stake (`ownership.raci.stake`), and the R/A teams by RACI of anything up-
    or downstream. Not a whole discipline Informed by a matrix row (e.g. "mlops: I" on ingestion
    would otherwise make every MLOps team a responder for every source)."""
    teams = set(stake(registry, asset))
    for direction in ("up", "down"):
        for other, _ in walk(registry, asset.id, direction):
            for team_id, held in asset_roles(registry, registry.assets[other]).items():
                if held & {Role.RESPONSIBLE, Role.ACCOUNTABLE}:
                    teams.add(team_id)
    return frozenset(teams)


def _refs(
    registry: Registry, reasons: dict[str, list[str]], now: datetime, *, oncall: bool
) -> tuple[TeamRef, ...]:
    out = []
    for team_id, why in reasons.items():
        team = registry.teams.get(team_id)
        if team is None:
            continue
        person = on_call(team, now) if oncall else None
        out.append(
            TeamRef(
                team_id=team.id,
                name=team.name,
                usergroup_id=team.usergroup.id if team.usergroup else None,
                oncall_id=person.slack_id if person else None,
                oncall_name=person.name if person else None,
                channel=team_channel(team),
                reasons=tuple(dict.fromkeys(why)),
            )
        )
    return tuple(out)
