"""What a careful reviewer flags (warnings): gaps that leave whoever is paged at 3 AM stuck."""

from __future__ import annotations

from ownership.model import Asset, Contract, Team
from ownership.rules.context import Problems, RuleContext, warning

# The kinds of asset whose breakage pages someone, so they need a runbook.
PAGED_KINDS = ("source", "table", "feature", "model")


def asset_has_runbook(ctx: RuleContext, asset: Asset) -> Problems:
    """A source, table, feature or model has a runbook."""
    if asset.kind in PAGED_KINDS and not asset.runbook:
        yield warning(
            asset.source,
            f"asset '{asset.id}' has no runbook: whoever is paged starts from nothing",
            "no-runbook",
        )


def consumer_is_not_owner(ctx: RuleContext, contract: Contract, consumer: str) -> Problems:
    """A contract's owner does not also consume it."""
    if consumer == contract.owner_team:
        yield warning(
            contract.source,
            f"contract '{contract.id}': owner '{consumer}' is also listed as a consumer",
            "owner-consumes",
        )


def owner_has_oncall_channel(ctx: RuleContext, contract: Contract) -> Problems:
    """Late-data alerts have a channel: the contract's alert_channel or its owner's on-call one."""
    owner = ctx.registry.teams.get(contract.owner_team)
    if owner is not None and not (owner.oncall_channel or contract.alert_channel):
        yield warning(
            contract.source,
            f"contract '{contract.id}': owner team '{owner.id}' has no on-call channel, so "
            "late-data alerts have nowhere to go",
            "no-oncall-channel",
        )


def owner_has_rotation(ctx: RuleContext, contract: Contract) -> Problems:
    """A contract's owner team has an on-call rotation, so alerts tag one person."""
    owner = ctx.registry.teams.get(contract.owner_team)
    if owner is not None and owner.rotation is None:
        yield warning(
            contract.source,
            f"contract '{contract.id}': owner team '{owner.id}' has no on-call rotation; "
            "alerts will tag the whole team",
            "no-rotation",
        )


def contract_has_sla(ctx: RuleContext, contract: Contract) -> Problems:
    """A contract has an sla or a freshness to check (a dbt source without one opted out)."""
    if (
        contract.sla is None
        and contract.freshness is None
        and contract.after is None
        and contract.format != "dbt"
    ):
        yield warning(
            contract.source,
            f"contract '{contract.id}' has no sla or freshness: nothing to check",
            "no-sla",
        )


def contract_has_probe(ctx: RuleContext, contract: Contract) -> Problems:
    """A contract with an SLA has a probe to check it (dbt's results are ingested instead)."""
    has_sla = contract.sla is not None or contract.freshness is not None or bool(contract.after)
    if has_sla and contract.probe is None and contract.format != "dbt":
        yield warning(
            contract.source,
            f"contract '{contract.id}' has an SLA but no probe: demarc cannot check it",
            "no-probe",
        )


def contract_has_consumers(ctx: RuleContext, contract: Contract) -> Problems:
    """A contract names the teams it is for."""
    if not contract.consumer_teams:
        yield warning(
            contract.source,
            f"contract '{contract.id}' has no consumer teams: who is it for?",
            "no-consumers",
        )


def oncall_contact_matches_channel(ctx: RuleContext, contract: Contract) -> Problems:
    """A `contacts.oncall` channel is the one alerts actually go to."""
    owner = ctx.registry.teams.get(contract.owner_team)
    oncall = dict(contract.contacts).get("oncall")
    channel = contract.alert_channel or (owner.oncall_channel if owner else None)
    if oncall and channel and oncall.startswith("#") and oncall != channel:
        yield warning(
            contract.source,
            f"contract '{contract.id}': contacts.oncall {oncall} differs from the channel "
            f"alerts go to ({channel})",
            "oncall-mismatch",
        )


def team_has_members(ctx: RuleContext, team: Team) -> Problems:
    """A team has members."""
    if not team.members:
        yield warning(team.source, f"team '{team.id}' has no members", "no-members")


def team_has_usergroup(ctx: RuleContext, team: Team) -> Problems:
    """A team has a Slack user group, so it can be mentioned."""
    if team.usergroup is None:
        yield warning(
            team.source,
            f"team '{team.id}' has no Slack user group: it cannot be mentioned",
            "no-usergroup",
        )
