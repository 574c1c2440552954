"""The lecture's RACI rules: someone is Responsible, and exactly one team is Accountable.

Shared accountability is nobody's; an asset with neither R nor A is owned by nobody.
"""

from __future__ import annotations

from ownership.model import Activity, Asset, Role
from ownership.rules.context import Problems, RuleContext, warning


def activity_has_one_accountable(ctx: RuleContext, activity: Activity) -> Problems:
    """An activity's RACI row has exactly one Accountable key."""
    accountable = [k for k, r in activity.roles if Role.ACCOUNTABLE in r]
    what = f"activity '{activity.id}'"
    if not accountable:
        yield warning(activity.source, f"{what} has nobody Accountable", "no-accountable")
    elif len(accountable) > 1:
        yield warning(
            activity.source,
            f"{what} has {len(accountable)} Accountable "
            f"teams ({', '.join(accountable)}): shared accountability is nobody's",
            "several-accountable",
        )


def activity_has_responsible(ctx: RuleContext, activity: Activity) -> Problems:
    """An activity's RACI row has someone Responsible."""
    if not any(Role.RESPONSIBLE in r for _, r in activity.roles):
        yield warning(
            activity.source, f"activity '{activity.id}' has nobody Responsible", "no-responsible"
        )


def asset_has_owner(ctx: RuleContext, asset: Asset) -> Problems:
    """Some team is Responsible or Accountable for each asset, once its roles are resolved."""
    holders = ctx.holders(asset)
    if not holders.responsible and not holders.accountable:
        yield warning(
            asset.source,
            f"asset '{asset.id}' has no owner: set owner: or a raci kind for '{asset.kind}'",
            "no-owner",
        )


def asset_has_one_accountable(ctx: RuleContext, asset: Asset) -> Problems:
    """An owned asset has exactly one Accountable team (an unowned one: `asset_has_owner`)."""
    responsible, accountable = ctx.holders(asset)
    what = f"asset '{asset.id}'"
    if not accountable and responsible:
        yield warning(asset.source, f"{what} has nobody Accountable", "no-accountable")
    elif len(accountable) > 1:
        yield warning(
            asset.source,
            f"{what} has {len(accountable)} Accountable teams ({', '.join(sorted(accountable))})",
            "several-accountable",
        )
