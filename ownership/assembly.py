"""What each registry file contributes (`Parts`), and the parts put together into one
`Registry`: duplicate ids reported, imported contracts resolved to teams, assets declared."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ownership.errors import Problem, Severity
from ownership.formats import Imported, Membership
from ownership.formats.common import slug
from ownership.formats.resolve import find_team, merge_memberships, resolve_imported
from ownership.model import (
    Activity,
    Asset,
    ChangeNotice,
    Contract,
    Registry,
    Silence,
    SourceRef,
    Team,
)
from ownership.pacing import paced


@dataclass
class Parts:
    """What registry files hold before assembly: one file's (cached per file), or all merged."""

    teams: list[Team] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    kind_sources: dict[str, SourceRef] = field(default_factory=dict)
    contracts: list[Contract] = field(default_factory=list)
    silences: list[Silence] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)
    imported: list[Imported] = field(default_factory=list)  # ODCS / dbt, teams unresolved
    memberships: list[Membership] = field(default_factory=list)  # Backstage users
    notices: list[ChangeNotice] = field(default_factory=list)
    lenient: bool = False
    failed: dict[str, str | None] = field(default_factory=dict)  # unparsable file -> its text
    raci_at: dict[str, SourceRef] = field(default_factory=dict)  # kind -> its `raci:` block
    lenient_set: bool | None = None  # this file's `formats: {lenient: …}`, if it says

    def merge(self, other: Parts) -> list[Problem]:
        """Add one file's parts (lists are copied: cached parts stay as they were read)."""
        problems: list[Problem] = []
        for name in ("teams", "assets", "activities", "contracts", "silences", "admins",
                     "imported", "memberships", "notices"):  # fmt: skip
            if items := getattr(other, name):  # most files hold one or two kinds
                getattr(self, name).extend(items)
        for kind, activity in other.kinds.items():
            if kind in self.kinds:
                where = other.raci_at.get(kind, SourceRef("raci.kinds"))
                message = f"raci kind '{kind}' is mapped twice"
                problems.append(Problem(where, message, Severity.ERROR, "duplicate-id"))
            self.kinds[kind] = activity
        self.kind_sources.update(other.kind_sources)
        self.failed.update(other.failed)
        if other.lenient_set is not None:
            self.lenient = other.lenient_set
        return problems


def placeholder_teams(parts: Parts) -> list[Team]:
    """A stand-in for every team the contracts name that no file defines: one contract file
    read on its own (`demarc diff old.yaml new.yaml`) needs no registry around it."""
    known = {t.id: t for t in parts.teams}
    names = [c.owner_team for c in parts.contracts] + [
        t for c in parts.contracts for t in c.consumer_teams
    ]
    for item in parts.imported:
        names += [item.contract.owner_team, *item.contract.consumer_teams]
    out: list[Team] = []
    for name in names:
        if not name or find_team(name, known) is not None:
            continue
        team = Team(id=slug(name), name=name)
        known[team.id] = team
        out.append(team)
    return out


def assemble(parts: Parts) -> tuple[Registry, list[Problem]]:
    """The one registry all the parts make, and the problems found putting it together."""
    problems: list[Problem] = []

    def unique(items: list[Any], what: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in paced(items):
            if item.id in out:
                problems.append(
                    Problem(
                        item.source,
                        f"duplicate {what} id '{item.id}' (first defined at {out[item.id].source})",
                        code="duplicate-id",
                    )
                )
                continue
            out[item.id] = item
        return out

    teams, more = merge_memberships(unique(parts.teams, "team"), parts.memberships)
    problems.extend(more)
    unowned: list[Asset] = []
    imported, more = resolve_imported(parts.imported, teams, lenient=parts.lenient, unowned=unowned)
    problems.extend(more)
    parts.contracts.extend(imported)
    assets = unique(parts.assets, "asset")
    for asset in unowned:  # an ODCS contract with no team at all: its tables are still found
        assets.setdefault(asset.id, asset)
    for contract in paced(parts.contracts):  # a contract declares its asset when nobody else does
        if contract.asset not in assets:
            assets[contract.asset] = Asset(
                id=contract.asset,
                kind=contract.asset_kind or "source",
                description=contract.description,
                owner=contract.owner_team,
                source=contract.source,
                aliases=contract.aliases,
            )
    contracts = unique(parts.contracts, "contract")
    for contract_id, contract in paced(
        list(contracts.items())
    ):  # a probe on the asset serves its contract
        asset_probe = assets[contract.asset].probe
        if contract.probe is None and asset_probe is not None:
            contracts[contract_id] = replace(contract, probe=asset_probe)
    registry = Registry(
        teams=teams,
        assets=assets,
        activities=unique(parts.activities, "activity"),
        kind_activities=dict(parts.kinds),
        kind_sources=dict(parts.kind_sources),
        contracts=contracts,
        silences=tuple(parts.silences),
        admins=tuple(parts.admins),
        change_notices=tuple(parts.notices),
    )
    return registry, problems
