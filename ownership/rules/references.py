"""Every name points at something: teams, disciplines, assets, activities, one thing per alias.

Reference errors carry the name they could not resolve (`refs`): when a file that failed to
parse mentions it, ownership/root_causes.py reports the error as a knock-on of that file.
"""

from __future__ import annotations

from collections.abc import Callable

from ownership.model import Activity, Asset, Contract, RoleMap, Silence, SourceRef
from ownership.rules.context import Problems, RuleContext, error


def _team(ctx: RuleContext, ref: str | None, where: SourceRef, what: str) -> Problems:
    if ref is not None and ref not in ctx.registry.teams:
        hint = ctx.hint(ref, "teams", ctx.registry.teams)
        yield error(where, f"{what} '{ref}' is not a team{hint}", "unknown-team", ref)


def _keys(
    ctx: RuleContext, role_map: RoleMap, where: Callable[[str], SourceRef], what: str
) -> Problems:
    for key, _ in role_map:
        if key not in ctx.keys:
            yield error(
                where(key),
                f"{what}: '{key}' is neither a team nor a discipline"
                f"{ctx.hint(key, 'keys', ctx.keys)}",
                "unknown-team",
                key,
            )


def aliases_are_unique(ctx: RuleContext) -> Problems:
    """An alias names one asset: no other asset's id, nor (case-insensitively) its alias."""
    names: dict[str, str] = {}  # lowercased alias -> the asset it names, in registry order
    assets = ctx.registry.assets
    for asset in assets.values():
        for alias in asset.aliases:
            other = names.get(alias.lower())
            clash = assets.get(alias)
            if (clash is not None and clash.id != asset.id) or other not in (None, asset.id):
                yield error(
                    asset.source,
                    f"alias '{alias}' of asset '{asset.id}' is already used by '{other or alias}'",
                    "duplicate-id",
                )
            names[alias.lower()] = asset.id


def activity_keys_resolve(ctx: RuleContext, activity: Activity) -> Problems:
    """Each key of an activity's RACI row is a team or a discipline."""
    yield from _keys(
        ctx, activity.roles, lambda k: activity.where(f"roles.{k}"), f"activity '{activity.id}'"
    )


def kinds_map_to_activities(ctx: RuleContext) -> Problems:
    """Each `raci.kinds` entry maps an asset kind to an activity that exists."""
    registry = ctx.registry
    for kind, activity_id in registry.kind_activities.items():
        if activity_id not in registry.activities:
            yield error(
                registry.kind_sources.get(kind, SourceRef("raci.kinds")),
                f"raci kind '{kind}' maps to unknown activity "
                f"'{activity_id}'{ctx.hint(activity_id, 'activities', registry.activities)}",
                "unknown-activity",
                activity_id,
            )


def asset_owner_is_team(ctx: RuleContext, asset: Asset) -> Problems:
    """An asset's `owner:` is a team."""
    yield from _team(ctx, asset.owner, asset.where("owner"), f"asset '{asset.id}' owner")


def asset_raci_keys_resolve(ctx: RuleContext, asset: Asset) -> Problems:
    """Each key of an asset's own `raci:` is a team or a discipline."""
    yield from _keys(
        ctx, asset.raci, lambda k: asset.where(f"raci.{k}"), f"asset '{asset.id}' raci"
    )


def asset_activity_exists(ctx: RuleContext, asset: Asset) -> Problems:
    """An asset's `activity:` is an activity of the RACI matrix."""
    activities = ctx.registry.activities
    if asset.activity and asset.activity not in activities:
        yield error(
            asset.where("activity"),
            f"asset '{asset.id}' activity '{asset.activity}' is not an activity"
            f"{ctx.hint(asset.activity, 'activities', activities)}",
            "unknown-activity",
            asset.activity,
        )


def upstream_is_asset(ctx: RuleContext, asset: Asset, up: str) -> Problems:
    """Each upstream item of an asset is an asset."""
    assets = ctx.registry.assets
    if up not in assets:
        yield error(
            asset.where(f"upstream[{up}]"),
            f"asset '{asset.id}' upstream '{up}' is not an asset{ctx.hint(up, 'assets', assets)}",
            "unknown-asset",
            up,
        )


def contract_owner_is_team(ctx: RuleContext, contract: Contract) -> Problems:
    """A contract's `owner_team` is a team."""
    yield from _team(
        ctx,
        contract.owner_team,
        contract.where("owner_team"),
        f"contract '{contract.id}' owner_team",
    )


def consumer_is_team(ctx: RuleContext, contract: Contract, consumer: str) -> Problems:
    """Each of a contract's `consumer_teams` is a team."""
    yield from _team(
        ctx,
        consumer,
        contract.where(f"consumer_teams[{consumer}]"),
        f"contract '{contract.id}' consumer team",
    )


def silence_asset_exists(ctx: RuleContext, silence: Silence) -> Problems:
    """A silence names an asset."""
    assets = ctx.registry.assets
    if silence.asset not in assets:
        yield error(
            silence.source,
            f"silence for unknown asset '{silence.asset}'"
            f"{ctx.hint(silence.asset, 'assets', assets)}",
            "unknown-asset",
            silence.asset,
        )
