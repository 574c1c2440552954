"""RACI resolution: which team holds which role for an activity or an asset.

For an asset, roles come in layers, each overriding the one before:
1. its activity (`asset.activity`, else the activity mapped to its kind in `raci.kinds`);
   a discipline key ("mlops") means the asset's owner when the owner is of that discipline,
   else every team of that discipline; but when the owner has no discipline (a team an ODCS
   or dbt file defines), only the teams of that discipline with a stake in the asset
   (`stake`), the rule incident plans use for their RACI row;
2. its owner (`asset.owner`, else its contract's `owner_team`) is exactly Responsible and
   Accountable, and the only Accountable team (others keep their other roles, or become
   Consulted);
3. the asset's own `raci:` entries replace whatever a team had;
4. contract consumers without any role are Informed.
"""

from __future__ import annotations

from ownership.lineage import walk
from ownership.model import Activity, Asset, Registry, Role, RoleMap

Roles = dict[str, frozenset[Role]]
RA = frozenset({Role.RESPONSIBLE, Role.ACCOUNTABLE})


def expand_key(
    registry: Registry,
    key: str,
    owner: str | None = None,
    stake: frozenset[str] | None = None,
) -> tuple[str, ...]:
    """Team ids a RACI key stands for: the team itself, or for a discipline the owner when it
    is of that discipline, else its teams with a stake (when `stake` is given), else all."""
    if key in registry.teams:
        return (key,)
    teams = registry.teams_in(key)
    if owner is not None and any(t.id == owner for t in teams):
        return (owner,)
    if stake is not None:
        return tuple(t.id for t in teams if t.id in stake)
    return tuple(t.id for t in teams)


def stake(registry: Registry, asset: Asset) -> frozenset[str]:
    """Teams with a stake in `asset`: its owner, its contract's consumers and the owners of
    anything up- or downstream. Not a whole discipline a matrix row names."""
    teams = {asset_owner(registry, asset) or ""}
    contract = registry.contract_for(asset.id)
    teams.update(contract.consumer_teams if contract else ())
    for direction in ("up", "down"):
        for other, _ in walk(registry, asset.id, direction):
            teams.add(asset_owner(registry, registry.assets[other]) or "")
    return frozenset(teams - {""})


def _apply(
    registry: Registry,
    roles: Roles,
    role_map: RoleMap,
    owner: str | None,
    stake: frozenset[str] | None = None,
) -> None:
    for key, assigned in role_map:
        for team_id in expand_key(registry, key, owner, stake):
            roles[team_id] = assigned


def activity_roles(registry: Registry, activity: Activity) -> Roles:
    roles: Roles = {}
    _apply(registry, roles, activity.roles, None)
    return roles


def asset_activity(registry: Registry, asset: Asset) -> Activity | None:
    activity_id = asset.activity or registry.kind_activities.get(asset.kind)
    return registry.activities.get(activity_id) if activity_id else None


def asset_owner(registry: Registry, asset: Asset) -> str | None:
    if asset.owner:
        return asset.owner
    contract = registry.contract_for(asset.id)
    return contract.owner_team if contract else None


RoleInputs = tuple[str | None, Activity | None, RoleMap, tuple[str, ...], frozenset[str] | None]


def role_inputs(registry: Registry, asset: Asset) -> RoleInputs:
    """All that an asset's roles depend on besides the registry: its owner, its activity, its
    own `raci:` and its contract's consumers. Many assets share them (answers cache by them)."""
    contract = registry.contract_for(asset.id)
    consumers = contract.consumer_teams if contract is not None else ()
    owner = asset_owner(registry, asset)
    team = registry.teams.get(owner) if owner is not None else None
    narrowed = stake(registry, asset) if team is not None and team.discipline is None else None
    return owner, asset_activity(registry, asset), asset.raci, consumers, narrowed


def asset_roles(registry: Registry, asset: Asset) -> Roles:
    return roles_from(registry, *role_inputs(registry, asset))


def roles_from(
    registry: Registry,
    owner: str | None,
    activity: Activity | None,
    raci: RoleMap,
    consumers: tuple[str, ...],
    stake: frozenset[str] | None = None,
) -> Roles:
    """The layers of the module docstring, from `role_inputs`."""
    roles: Roles = {}
    if activity is not None:
        _apply(registry, roles, activity.roles, owner, stake)
    if owner is not None:
        for team_id, held in list(roles.items()):
            if team_id != owner and Role.ACCOUNTABLE in held:
                roles[team_id] = (held - {Role.ACCOUNTABLE}) or frozenset({Role.CONSULTED})
        roles[owner] = RA
    _apply(registry, roles, raci, owner)
    for consumer in consumers:
        roles.setdefault(consumer, frozenset({Role.INFORMED}))
    return {t: r for t, r in roles.items() if t in registry.teams}


def teams_with(roles: Roles, role: Role) -> list[str]:
    return [team for team, held in roles.items() if role in held]
