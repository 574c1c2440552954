"""Typed answers to "who owns X?": Slack blocks, terminal text and JSON all render these."""

from __future__ import annotations

from dataclasses import dataclass, field

from ownership.model import Activity, Asset, Contract, Person, Role, Team


@dataclass(frozen=True, slots=True)
class TeamRoles:
    """One team's roles for the subject, with who is on call there now (for R and A teams)."""

    team: Team
    roles: frozenset[Role]
    oncall: Person | None = None

    @property
    def label(self) -> str:
        """"R/A", "C", … in the lecture's order."""
        return "/".join(r.value for r in (Role.RESPONSIBLE, Role.ACCOUNTABLE, Role.CONSULTED,
                                          Role.INFORMED) if r in self.roles)


@dataclass(frozen=True, slots=True)
class LinkedAsset:
    """An upstream or downstream asset with its R/A teams, e.g. customer_master_db → Data Eng."""

    asset: Asset
    owners: tuple[TeamRoles, ...]
    distance: int = 1


@dataclass(frozen=True, slots=True)
class ContractSummary:
    contract: Contract
    sla_words: str | None
    status: str | None = None  # live freshness status, filled in by the bot when it knows


@dataclass(frozen=True, slots=True)
class AssetAnswer:
    asset: Asset
    matched_by: str  # "id", "alias" or "fuzzy"
    teams: tuple[TeamRoles, ...]
    contract: ContractSummary | None
    upstream: tuple[LinkedAsset, ...]
    downstream: tuple[LinkedAsset, ...]
    runbook: str | None
    warnings: tuple[str, ...] = ()

    def with_role(self, role: Role) -> tuple[TeamRoles, ...]:
        return tuple(t for t in self.teams if role in t.roles)


@dataclass(frozen=True, slots=True)
class ActivityAnswer:
    activity: Activity
    teams: tuple[TeamRoles, ...]


@dataclass(frozen=True, slots=True)
class NotFound:
    query: str
    suggestions: tuple[str, ...] = field(default=())


Answer = AssetAnswer | ActivityAnswer | NotFound
