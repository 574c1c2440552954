"""Who answers a data request: the RACI row for data contracts, narrowed to the teams involved.

A discipline key ("mlops") stands for the consumer team when it is of that discipline, else the
source's owner when it is, else every team of the discipline (as `raci.expand_key` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from ownership.model import Activity, Registry, Role, Team
from ownership.raci import asset_owner, expand_key

CONTRACTS_ACTIVITY = "data_contracts"


@dataclass(frozen=True, slots=True)
class RequestRoute:
    accountable: tuple[Team, ...]
    responsible: tuple[Team, ...]
    consulted: tuple[Team, ...]
    channel: str | None  # the first Accountable team's channel: where the request is posted


def contracts_activity(registry: Registry) -> Activity | None:
    """The matrix row for data contracts, by id or by alias ("contracts")."""
    if CONTRACTS_ACTIVITY in registry.activities:
        return registry.activities[CONTRACTS_ACTIVITY]
    for activity in registry.activities.values():
        if "contracts" in activity.aliases or activity.name.lower() == "data contracts":
            return activity
    return None


def route_request(registry: Registry, source: str, consumer_team: str) -> RequestRoute:
    asset = registry.assets.get(source)
    owner = asset_owner(registry, asset) if asset is not None else None
    involved = {consumer_team, owner or ""}
    held: dict[str, set[Role]] = {}
    activity = contracts_activity(registry)
    for key, roles in activity.roles if activity is not None else ():
        teams = expand_key(registry, key)
        narrowed = [t for t in teams if t in involved] or list(teams)
        for team_id in narrowed:
            held.setdefault(team_id, set()).update(roles)
    if not any(Role.ACCOUNTABLE in r for r in held.values()) and owner in registry.teams:
        held.setdefault(owner or "", set()).add(Role.ACCOUNTABLE)  # no row: the source's owner

    def with_role(role: Role) -> tuple[Team, ...]:
        return tuple(
            registry.teams[t] for t, r in held.items() if role in r and t in registry.teams
        )

    accountable = with_role(Role.ACCOUNTABLE)
    channel = next(
        (
            t.oncall_channel or t.incident_channel
            for t in accountable
            if t.oncall_channel or t.incident_channel
        ),
        None,
    )
    return RequestRoute(
        accountable, with_role(Role.RESPONSIBLE), with_role(Role.CONSULTED), channel
    )


def team_of_user(registry: Registry, user_id: str) -> str | None:
    """The requester's team (the modal's default consumer): the first team listing them."""
    for team in registry.teams.values():
        if any(p.slack_id == user_id for p in team.members):
            return team.id
    return None
