"""Typed answers to "who owns X?": Slack blocks, terminal text and JSON all render these."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ownership.event_sla import describe_event_sla
from ownership.fuzzy import NameIndex
from ownership.lineage import walk
from ownership.model import ROLE_ORDER, Activity, Asset, Contract, Person, Registry, Role, Team
from ownership.oncall import on_call
from ownership.pacing import same_items
from ownership.raci import activity_roles, role_inputs, roles_from
from ownership.sla import describe_age_sla, describe_sla


@dataclass(frozen=True, slots=True)
class TeamRoles:
    """One team's roles for the subject, with who is on call there now (for R and A teams)."""

    team: Team
    roles: frozenset[Role]
    oncall: Person | None = None

    @property
    def label(self) -> str:
        """ "R/A", "C", … in the lecture's order."""
        return "/".join(
            r.value
            for r in (Role.RESPONSIBLE, Role.ACCOUNTABLE, Role.CONSULTED, Role.INFORMED)
            if r in self.roles
        )


@dataclass(frozen=True, slots=True)
class ContractSummary:
    contract: Contract
    sla_words: str | None
    status: str | None = None  # live freshness status, filled in by the bot when it knows
    owner_name: str | None = None  # the owner team's name (its id when not in the registry)
    consumer_names: tuple[str, ...] = ()  # the consumer teams' names, in order
    quality: str | None = None  # live data quality state, filled in by the bot when it knows


@dataclass(frozen=True, slots=True)
class LinkedAsset:
    """An upstream or downstream asset with its R/A teams, e.g. customer_master_db → Data Eng."""

    asset: Asset
    owners: tuple[TeamRoles, ...]
    distance: int = 1
    contract: ContractSummary | None = None


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


# ---------------------------------------------------------------------- answering
_MAX_QUERY = 200


# What normalise leaves as it is (most asset ids): checked first, as 100k names are indexed
# on every reload.
_NORMAL = re.compile(r"[a-z0-9_](?:[a-z0-9_.]*[a-z0-9_])?")


def normalise(query: str) -> str:
    """ "`Customer Age`?" -> "customer_age"; asset ids use underscores, people type spaces."""
    if _NORMAL.fullmatch(query):
        return query
    text = query.strip().strip("`'\"?!. ").lower()
    for prefix in ("who owns ", "whoowns ", "owner of ", "the "):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip().strip("`'\"?!. ")
    return "_".join(text.replace("-", " ").split()) if text else ""


def _memo(registry: Registry, name: str) -> dict[Any, Any]:
    """A cache kept on the registry object itself, so it dies with it.

    A registry is immutable once loaded (a reload makes a new one), so whatever is derived
    from it alone can be computed once: on 50k assets the name index costs ~50 ms to build
    and an answer's RACI resolution for itself and 20 linked assets most of its time.
    """
    memo: dict[Any, Any] | None = registry.__dict__.get(name)
    if memo is None:
        memo = {}
        object.__setattr__(registry, name, memo)  # frozen dataclass: a cache, not state
    return memo


def _names(registry: Registry) -> dict[str, tuple[str, str]]:
    """Every name people may type -> ("asset" | "activity", id); built once per registry."""
    return _index(registry)[0]


def _index(registry: Registry) -> tuple[dict[str, tuple[str, str]], NameIndex]:
    """The names and their fuzzy index; `prepare` builds them when the registry loads."""
    memo = _memo(registry, "_answers_names")
    found: tuple[dict[str, tuple[str, str]], NameIndex] | None = memo.get("index")
    if found is None:
        names = _build_names(registry)
        found = memo["index"] = (names, NameIndex(names).prepare())
    return found


NameSources = tuple[list[tuple[object, ...]], list[tuple[object, ...]]]


def _name_sources(registry: Registry) -> NameSources:
    """All the names index is made of, in order: equal means the same index."""
    memo = _memo(registry, "_answers_names")
    key: NameSources | None = memo.get("key")
    if key is None:
        key = memo["key"] = (list(_activity_names(registry)), list(_asset_names(registry)))
    return key


def _activity_names(registry: Registry) -> Iterator[tuple[object, ...]]:
    return ((a.id, a.name, a.aliases) for a in registry.activities.values())


def _asset_names(registry: Registry) -> Iterator[tuple[object, ...]]:
    return ((a.id, a.aliases) for a in registry.assets.values())


def _same_names(previous: Registry, registry: Registry) -> bool:
    """Whether `registry` has `previous`'s name sources; if so it shares them (compared
    without building its own: `ownership.pacing.same_items`)."""
    activities, assets = _name_sources(previous)
    if not (
        same_items(activities, _activity_names(registry))
        and same_items(assets, _asset_names(registry))
    ):
        return False
    _memo(registry, "_answers_names")["key"] = (activities, assets)
    return True


def prepare(registry: Registry, previous: Registry | None = None) -> Registry:
    """Build what answers need before the registry serves any (no first-lookup spike).

    After a reload that changed no name (most do not), the previous registry's name index
    is the same and is shared instead of built again (~0.4 s of CPU on 50k assets).
    """
    memo = _memo(registry, "_answers_names")
    if previous is not None and "index" not in memo:
        before = _memo(previous, "_answers_names")
        if "index" in before and _same_names(previous, registry):
            memo["index"] = before["index"]
    _index(registry)
    _name_sources(registry)
    return registry


Ordered = tuple[tuple[Team, frozenset[Role]], ...]


def _ordered(registry: Registry, roles: dict[str, frozenset[Role]]) -> Ordered:
    """Teams with their roles, R before A before C before I, then by name."""
    pairs = [(registry.teams[t], held) for t, held in roles.items()]
    return tuple(sorted(pairs, key=lambda p: (min(ROLE_ORDER.index(r) for r in p[1]), p[0].name)))


def _asset_roles(registry: Registry, asset: Asset) -> Ordered:
    """`asset_roles`, ordered, computed once per distinct `role_inputs` (a handful for
    thousands of assets: the cache stays small and adds no work for the garbage collector)."""
    memo = _memo(registry, "_answers_roles")
    key = role_inputs(registry, asset)
    roles: Ordered | None = memo.get(key)
    if roles is None:
        roles = memo[key] = _ordered(registry, roles_from(registry, *key))
    return roles


def _owners(registry: Registry, asset: Asset) -> Ordered:
    """The R/A teams of `asset`, ordered."""
    memo = _memo(registry, "_answers_owners")
    key = role_inputs(registry, asset)
    owners: Ordered | None = memo.get(key)
    if owners is None:
        owners = memo[key] = tuple(
            (team, held)
            for team, held in _asset_roles(registry, asset)
            if Role.RESPONSIBLE in held or Role.ACCOUNTABLE in held
        )
    return owners


def _build_names(registry: Registry) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for activity in registry.activities.values():
        for name in (activity.id, activity.name, *activity.aliases):
            names.setdefault(normalise(name), ("activity", activity.id))
    for asset in registry.assets.values():
        for alias in asset.aliases:
            names[normalise(alias)] = ("asset", asset.id)
    for asset in registry.assets.values():
        names[normalise(asset.id)] = ("asset", asset.id)
    return names


def suggest(registry: Registry, query: str, limit: int = 3) -> tuple[str, ...]:
    """Up to `limit` close names: typo-close first, then names containing the query."""
    key = normalise(query)
    names, index = _index(registry)
    close = index.close(key, n=limit, cutoff=0.6)
    if len(close) < limit and len(key) >= 3:
        more = index.containing(key, limit + len(close))
        close += [n for n in more if n not in close][: limit - len(close)]
    out: list[str] = []
    for name in close:
        kind, ident = names[name]
        shown = ident if kind == "asset" else registry.activities[ident].name
        if shown not in out:
            out.append(shown)
    return tuple(out[:limit])


def who_owns(registry: Registry, query: str, now: datetime) -> Answer:
    """Answer "who owns X?" for an asset id, alias or activity; suggestions when unknown."""
    key = normalise(query[:_MAX_QUERY])
    if not key:
        return NotFound(query.strip()[:_MAX_QUERY])
    exact = registry.assets.get(key) or registry.assets.get(query.strip())
    if exact is not None:
        return answer_asset(registry, exact, "id", now)
    found = _names(registry).get(key)
    if found is None:
        return NotFound(query.strip()[:_MAX_QUERY], suggest(registry, key))
    kind, ident = found
    if kind == "activity":
        activity = registry.activities[ident]
        roles = activity_roles(registry, activity)
        return ActivityAnswer(activity, _team_roles(_ordered(registry, roles), now))
    return answer_asset(registry, registry.assets[ident], "alias", now)


def _team_roles(
    roles: Ordered, now: datetime, oncall: dict[str, Person | None] | None = None
) -> tuple[TeamRoles, ...]:
    """`oncall` caches who is on call per team at `now` across one answer."""
    oncall = {} if oncall is None else oncall
    out = []
    for team, held in roles:
        person = None
        if Role.RESPONSIBLE in held or Role.ACCOUNTABLE in held:  # paged: who is on call
            if team.id not in oncall:
                oncall[team.id] = on_call(team, now)
            person = oncall[team.id]
        out.append(TeamRoles(team, held, person))
    return tuple(out)


def _linked(
    registry: Registry,
    pairs: list[tuple[str, int]],
    now: datetime,
    limit: int,
    oncall: dict[str, Person | None] | None = None,
) -> tuple[LinkedAsset, ...]:
    out = []
    for asset_id, depth in pairs[:limit]:
        asset = registry.assets[asset_id]
        owners = _team_roles(_owners(registry, asset), now, oncall)
        out.append(LinkedAsset(asset, owners, depth, _summary(registry, asset)))
    return tuple(out)


def _summary(registry: Registry, asset: Asset) -> ContractSummary | None:
    contract = registry.contract_for(asset.id)
    if contract is None:
        return None
    memo = _memo(registry, "_answers_summaries")
    summary: ContractSummary | None = memo.get(contract.id)
    if summary is None:
        words = describe_sla(contract.sla) if contract.sla else None
        if contract.after is not None:
            words = describe_event_sla(contract.after)
        if contract.freshness is not None:
            age = describe_age_sla(contract.freshness)
            words = f"{words}; {age}" if words else age
        names = {t.id: t.name for t in registry.teams.values()}
        summary = memo[contract.id] = ContractSummary(
            contract,
            words,
            owner_name=names.get(contract.owner_team, contract.owner_team),
            consumer_names=tuple(names.get(t, t) for t in contract.consumer_teams),
        )
    return summary


def answer_asset(
    registry: Registry, asset: Asset, matched_by: str, now: datetime, lineage_limit: int = 10
) -> AssetAnswer:
    summary = _summary(registry, asset)
    oncall: dict[str, Person | None] = {}
    up = walk(registry, asset.id, "up", limit=lineage_limit)
    down = walk(registry, asset.id, "down", limit=lineage_limit)
    return AssetAnswer(
        asset=asset,
        matched_by=matched_by,
        teams=_team_roles(_asset_roles(registry, asset), now, oncall),
        contract=summary,
        upstream=_linked(registry, up, now, lineage_limit, oncall),
        downstream=_linked(registry, down, now, lineage_limit, oncall),
        runbook=asset.runbook,
    )
