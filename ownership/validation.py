"""Cross-file checks on an assembled registry: references, lineage, and the lecture's anti-patterns.

Errors make the registry unusable (an unknown team cannot be paged); warnings are what a careful
reviewer would flag (nobody Accountable, shared accountability, no on-call channel …).
"""

from __future__ import annotations

from collections.abc import Callable

from ownership.errors import Problem, Severity
from ownership.lineage import find_cycles
from ownership.model import Registry, Role, RoleMap, SourceRef
from ownership.raci import RoleInputs, Roles, role_inputs, roles_from, teams_with
from ownership.read.fields import did_you_mean


def validate(registry: Registry) -> list[Problem]:
    out: list[Problem] = []

    def error(where: SourceRef, message: str, code: str, *refs: str) -> None:
        out.append(Problem(where, message, Severity.ERROR, code, refs=refs))

    def warn(where: SourceRef, message: str, code: str) -> None:
        out.append(Problem(where, message, Severity.WARNING, code))

    teams = registry.teams
    disciplines = {t.discipline for t in teams.values() if t.discipline}
    keys = set(teams) | disciplines

    def check_team(ref: str | None, where: SourceRef, what: str) -> None:
        if ref is not None and ref not in teams:
            hint = did_you_mean(ref, teams)
            error(where, f"{what} '{ref}' is not a team{hint}", "unknown-team", ref)

    def check_keys(role_map: RoleMap, where: Callable[[str], SourceRef], what: str) -> None:
        for key, _ in role_map:
            if key not in keys:
                error(
                    where(key),
                    f"{what}: '{key}' is neither a team nor a discipline{did_you_mean(key, keys)}",
                    "unknown-team",
                    key,
                )

    # names: ids and aliases must point at one thing each
    names: dict[str, str] = {}
    for asset in registry.assets.values():
        for alias in asset.aliases:
            other = names.get(alias.lower())
            clash = registry.assets.get(alias)
            if (clash is not None and clash.id != asset.id) or other not in (None, asset.id):
                error(
                    asset.source,
                    f"alias '{alias}' of asset '{asset.id}' is already used by '{other or alias}'",
                    "duplicate-id",
                )
            names[alias.lower()] = asset.id

    for activity in registry.activities.values():
        check_keys(
            activity.roles,
            lambda k, a=activity: a.where(f"roles.{k}"),  # type: ignore[misc]
            f"activity '{activity.id}'",
        )
        accountable = [k for k, r in activity.roles if Role.ACCOUNTABLE in r]
        if not accountable:
            warn(
                activity.source,
                f"activity '{activity.id}' has nobody Accountable",
                "no-accountable",
            )
        elif len(accountable) > 1:
            warn(
                activity.source,
                f"activity '{activity.id}' has {len(accountable)} Accountable "
                f"teams ({', '.join(accountable)}): shared accountability is nobody's",
                "several-accountable",
            )
        if not any(Role.RESPONSIBLE in r for _, r in activity.roles):
            warn(
                activity.source,
                f"activity '{activity.id}' has nobody Responsible",
                "no-responsible",
            )
    for kind, activity_id in registry.kind_activities.items():
        if activity_id not in registry.activities:
            error(
                registry.kind_sources.get(kind, SourceRef("raci.kinds")),
                f"raci kind '{kind}' maps to unknown activity "
                f"'{activity_id}'{did_you_mean(activity_id, registry.activities)}",
                "unknown-activity",
                activity_id,
            )

    resolved: dict[RoleInputs, Roles] = {}
    for asset in registry.assets.values():
        what = f"asset '{asset.id}'"
        check_team(asset.owner, asset.where("owner"), f"{what} owner")
        check_keys(
            asset.raci,
            lambda k, a=asset: a.where(f"raci.{k}"),  # type: ignore[misc]
            f"{what} raci",
        )
        if asset.activity and asset.activity not in registry.activities:
            error(
                asset.where("activity"),
                f"{what} activity '{asset.activity}' is not an activity"
                f"{did_you_mean(asset.activity, registry.activities)}",
                "unknown-activity",
                asset.activity,
            )
        for up in asset.upstream:
            if up not in registry.assets:
                error(
                    asset.where(f"upstream[{up}]"),
                    f"{what} upstream '{up}' is not an asset{did_you_mean(up, registry.assets)}",
                    "unknown-asset",
                    up,
                )
            elif up == asset.id:
                error(
                    asset.where(f"upstream[{up}]"),
                    f"{what} lists itself as upstream",
                    "lineage-cycle",
                )
        key = role_inputs(registry, asset)  # thousands of assets share a few: resolve each once
        roles = resolved.get(key)
        if roles is None:
            roles = resolved[key] = roles_from(registry, *key)
        accountable = teams_with(roles, Role.ACCOUNTABLE)
        if not teams_with(roles, Role.RESPONSIBLE) and not accountable:
            warn(
                asset.source,
                f"{what} has no owner: set owner: or a raci kind for '{asset.kind}'",
                "no-owner",
            )
        elif not accountable:
            warn(asset.source, f"{what} has nobody Accountable", "no-accountable")
        elif len(accountable) > 1:
            warn(
                asset.source,
                f"{what} has {len(accountable)} Accountable teams "
                f"({', '.join(sorted(accountable))})",
                "several-accountable",
            )
        if asset.kind in ("source", "table", "feature", "model") and not asset.runbook:
            warn(
                asset.source,
                f"{what} has no runbook: whoever is paged starts from nothing",
                "no-runbook",
            )

    for cycle in find_cycles(registry):
        if len(cycle) > 2:
            first = registry.assets[cycle[0]]
            error(first.source, "lineage cycle: " + " -> ".join(cycle), "lineage-cycle")

    for contract in registry.contracts.values():
        what = f"contract '{contract.id}'"
        check_team(contract.owner_team, contract.where("owner_team"), f"{what} owner_team")
        for consumer in contract.consumer_teams:
            check_team(
                consumer, contract.where(f"consumer_teams[{consumer}]"), f"{what} consumer team"
            )
            if consumer == contract.owner_team:
                warn(
                    contract.source,
                    f"{what}: owner '{consumer}' is also listed as a consumer",
                    "owner-consumes",
                )
        owner = teams.get(contract.owner_team)
        if owner is not None and not (owner.oncall_channel or contract.alert_channel):
            warn(
                contract.source,
                f"{what}: owner team '{owner.id}' has no on-call channel, so "
                "late-data alerts have nowhere to go",
                "no-oncall-channel",
            )
        if owner is not None and owner.rotation is None:
            warn(
                contract.source,
                f"{what}: owner team '{owner.id}' has no on-call rotation; "
                "alerts will tag the whole team",
                "no-rotation",
            )
        if contract.sla is None and contract.freshness is None:
            if contract.format != "dbt":  # a dbt source without freshness opted out on purpose
                warn(contract.source, f"{what} has no sla or freshness: nothing to check", "no-sla")
        elif contract.probe is None and contract.format != "dbt":  # dbt: results ingested
            warn(
                contract.source,
                f"{what} has an SLA but no probe: demarc cannot check it",
                "no-probe",
            )
        if not contract.consumer_teams:
            warn(contract.source, f"{what} has no consumer teams: who is it for?", "no-consumers")
        oncall = dict(contract.contacts).get("oncall")
        channel = contract.alert_channel or (owner.oncall_channel if owner else None)
        if oncall and channel and oncall.startswith("#") and oncall != channel:
            warn(
                contract.source,
                f"{what}: contacts.oncall {oncall} differs from the channel "
                f"alerts go to ({channel})",
                "oncall-mismatch",
            )

    for silence in registry.silences:
        if silence.asset not in registry.assets:
            error(
                silence.source,
                f"silence for unknown asset '{silence.asset}'"
                f"{did_you_mean(silence.asset, registry.assets)}",
                "unknown-asset",
                silence.asset,
            )

    out.extend(_notice_problems(registry))
    for team in teams.values():
        if not team.members:
            warn(team.source, f"team '{team.id}' has no members", "no-members")
        if team.usergroup is None:
            warn(
                team.source,
                f"team '{team.id}' has no Slack user group: it cannot be mentioned",
                "no-usergroup",
            )
    return out


def _notice_problems(registry: Registry) -> list[Problem]:
    """A notice names a contract, gives at least its notice period, and has a channel."""
    out: list[Problem] = []
    seen: dict[str, SourceRef] = {}
    for notice in registry.change_notices:
        what = f"change notice '{notice.id}'"
        if notice.id in seen:
            out.append(
                Problem(
                    notice.source,
                    f"duplicate {what} (first defined at {seen[notice.id]}); give each an id:",
                    code="duplicate-id",
                )
            )
        seen.setdefault(notice.id, notice.source)
        contract = registry.contracts.get(notice.contract)
        if contract is None:
            out.append(
                Problem(
                    notice.source,
                    f"{what}: '{notice.contract}' is not a contract"
                    f"{did_you_mean(notice.contract, registry.contracts)} (remove a notice in "
                    "the change that removes its contract)",
                    code="unknown-contract",
                    refs=(notice.contract,),
                )
            )
            continue
        days = contract.change_policy.notice_days or 0
        if notice.effective is not None and (notice.effective - notice.announced).days < days:
            out.append(
                Problem(
                    notice.source,
                    f"{what}: effective {notice.effective} is only "
                    f"{(notice.effective - notice.announced).days} day(s) after announced "
                    f"{notice.announced}; contract '{contract.id}' promises {days} days' notice",
                    code="notice-too-short",
                )
            )
        if not contract.change_policy.channel:
            out.append(
                Problem(
                    notice.source,
                    f"{what}: contract '{contract.id}' has no change channel, so nobody is told "
                    "(set change_policy.channel)",
                    Severity.WARNING,
                    "no-change-channel",
                )
            )
    return out
