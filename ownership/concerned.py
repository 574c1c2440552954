"""Who a change concerns: the people of the teams that hold an asset (any RACI role).

The same people whose Home tab lists the asset (`bot.home.world`): members and rotation.
"""

from __future__ import annotations

from ownership.model import Registry, Team
from ownership.raci import asset_roles


def team_people(team: Team) -> set[str]:
    """The Slack ids of the team's members and its rotation."""
    people = team.members + (team.rotation.members if team.rotation else ())
    return {p.slack_id for p in people if p.slack_id}


def people_holding(registry: Registry, asset_id: str) -> set[str]:
    """The Slack ids of everyone in a team with a role on `asset_id` (none if it is unknown)."""
    asset = registry.assets.get(asset_id)
    if asset is None:
        return set()
    people: set[str] = set()
    for team_id in asset_roles(registry, asset):
        team = registry.teams.get(team_id)
        if team is not None:
            people |= team_people(team)
    return people
