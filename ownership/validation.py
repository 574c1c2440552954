"""Cross-file checks on an assembled registry: references, lineage, and the lecture's anti-patterns.

Errors make the registry unusable (an unknown team cannot be paged); warnings are what a careful
reviewer would flag (nobody Accountable, shared accountability, no on-call channel …). Each
check is a named rule in `ownership/rules/`; `validate` runs them in the order of `STEPS`, and
for each entity its rules in the order of its table, so an entity's problems stay together and
the report reads the same from run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ownership.errors import Problem
from ownership.load_cache import LoadCache
from ownership.model import Activity, Asset, ChangeNotice, Contract, Registry, Silence, Team
from ownership.pacing import checkpoint, paced
from ownership.rules import antipatterns, calendars, lineage, notices, raci, references
from ownership.rules.context import Problems, RegistryRule, Rule, RuleContext, T
from ownership.validation_memo import ValidationMemo

ACTIVITY_RULES: tuple[Rule[Activity], ...] = (
    references.activity_keys_resolve,
    raci.activity_has_one_accountable,
    raci.activity_has_responsible,
)
# Checked for each upstream item of an asset, in turn.
UPSTREAM_RULES: tuple[Callable[[RuleContext, Asset, str], Problems], ...] = (
    references.upstream_is_asset,
    lineage.upstream_is_not_itself,
)


def _upstream(ctx: RuleContext, asset: Asset) -> Problems:
    """Each upstream item through UPSTREAM_RULES, item by item."""
    for up in asset.upstream:
        for rule in UPSTREAM_RULES:
            yield from rule(ctx, asset, up)


ASSET_RULES: tuple[Rule[Asset], ...] = (
    references.asset_owner_is_team,
    references.asset_raci_keys_resolve,
    references.asset_activity_exists,
    _upstream,
    raci.asset_has_owner,
    raci.asset_has_one_accountable,
    antipatterns.asset_has_runbook,
)
# Checked for each of a contract's consumer teams, in turn.
CONSUMER_RULES: tuple[Callable[[RuleContext, Contract, str], Problems], ...] = (
    references.consumer_is_team,
    antipatterns.consumer_is_not_owner,
)


def _consumers(ctx: RuleContext, contract: Contract) -> Problems:
    """Each consumer team through CONSUMER_RULES, team by team."""
    for consumer in contract.consumer_teams:
        for rule in CONSUMER_RULES:
            yield from rule(ctx, contract, consumer)


CONTRACT_RULES: tuple[Rule[Contract], ...] = (
    references.contract_owner_is_team,
    _consumers,
    antipatterns.owner_has_oncall_channel,
    antipatterns.owner_has_rotation,
    antipatterns.contract_has_sla,
    antipatterns.contract_has_probe,
    antipatterns.contract_has_consumers,
    antipatterns.oncall_contact_matches_channel,
    calendars.calendar_has_expected_day,
    calendars.sla_time_is_covered,
    calendars.after_names_a_contract,
)
SILENCE_RULES: tuple[Rule[Silence], ...] = (references.silence_asset_exists,)
NOTICE_RULES: tuple[Rule[ChangeNotice], ...] = (
    notices.notice_id_is_unique,
    notices.notice_contract_exists,
    notices.notice_period_is_kept,
    notices.notice_has_channel,
)
TEAM_RULES: tuple[Rule[Team], ...] = (
    antipatterns.team_has_members,
    antipatterns.team_has_usergroup,
)


class Each:
    """A registry rule that runs `rules` on each of `items`, entity by entity."""

    def __init__(
        self,
        items: Callable[[Registry], Iterable[T]],
        rules: tuple[Rule[T], ...],
        memo: bool = False,
    ) -> None:
        self.items: Callable[[Registry], Iterable[Any]] = items
        self.rules: tuple[Rule[Any], ...] = rules
        self.memo = memo  # its rules read only their entity and `validation_memo.environment`

    def check(self, ctx: RuleContext, item: Any) -> Problems:
        for rule in self.rules:
            yield from rule(ctx, item)

    def __call__(self, ctx: RuleContext) -> Problems:
        for item in paced(self.items(ctx.registry), 50):
            yield from self.check(ctx, item)


def each(
    items: Callable[[Registry], Iterable[T]], rules: tuple[Rule[T], ...], memo: bool = False
) -> Each:
    return Each(items, rules, memo)


STEPS: tuple[RegistryRule, ...] = (
    references.aliases_are_unique,
    each(lambda r: r.activities.values(), ACTIVITY_RULES),
    references.kinds_map_to_activities,
    each(lambda r: r.assets.values(), ASSET_RULES, memo=True),
    lineage.lineage_has_no_cycles,
    each(lambda r: r.contracts.values(), CONTRACT_RULES, memo=True),
    each(lambda r: r.silences, SILENCE_RULES),
    each(lambda r: r.change_notices, NOTICE_RULES),
    each(lambda r: r.teams.values(), TEAM_RULES),
)


def _lineage(registry: Registry, cache: LoadCache) -> Iterable[tuple[str, tuple[str, ...]]]:
    """Every asset's (id, upstream): the loader's list when it is this registry's (the very
    same objects then: comparing them with the last run's is a pass over identities)."""
    kept = cache.lineage
    if kept is not None and kept[1] is registry.downstream_index():
        return kept[0]
    return ((a.id, a.upstream) for a in registry.assets.values())


def validate(registry: Registry, cache: LoadCache | None = None) -> list[Problem]:
    """Every problem the rules find, in the order of `STEPS`.

    With `cache` (a reload's), entities the last run checked in the same surroundings keep
    their problems (ownership/validation_memo.py); the result is the same.
    """
    ctx = RuleContext.of(registry)
    if cache is None:
        return [problem for step in STEPS for problem in step(ctx)]
    if cache.validation is None:
        cache.validation = ValidationMemo()
    memo: ValidationMemo = cache.validation
    reuse = memo.start(ctx)
    out: list[Problem] = []
    for index, step in enumerate(STEPS):
        checkpoint()
        if isinstance(step, Each) and step.memo:
            out.extend(memo.each(index, ctx, step.items(registry), step.check, reuse))
        elif step is lineage.lineage_has_no_cycles:
            graph = lambda: _lineage(registry, cache)  # noqa: E731
            out.extend(memo.whole(ctx, step, graph, reuse))
        elif step is references.aliases_are_unique:
            aliases = lambda: ((a.id, a.aliases) for a in registry.assets.values())  # noqa: E731
            out.extend(memo.whole(ctx, step, aliases, reuse))
        else:
            out.extend(step(ctx))
    memo.finish(out)
    return out
