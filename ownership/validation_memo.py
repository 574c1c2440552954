"""Re-validation after a reload: an entity's problems are kept while nothing they read changed.

A rule reads its entity and the registry around it: team, activity, asset and contract ids,
the teams and the RACI matrix (for roles and hints). When those are equal to the last run's
(`environment`), an entity that is the very object the last run checked (a file the reload
did not re-read) has the same problems, and only re-read files' entities are checked again.
Lineage cycles are kept while every asset's upstream list is, alias clashes while every asset's
aliases are. The memo is used only after a
run without errors, so the per-run budget of "did you mean" hints is spent as a full run
would spend it; the result is always what `validate` without a memo returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ownership.errors import Problem
from ownership.model import Registry
from ownership.pacing import paced, same_items
from ownership.rules.context import Problems, RuleContext

Items = Callable[[Registry], Iterable[Any]]


def environment(registry: Registry, keys: frozenset[str]) -> tuple[Any, ...]:
    """What entity rules read besides their entity (compared with `same`): the ids in order
    (a reordering only costs a full run), copied from the dicts in C."""
    return (
        tuple(registry.teams.values()),
        tuple(registry.activities.values()),
        tuple(registry.kind_activities.items()),
        tuple(registry.assets),
        tuple(registry.contracts),
        keys,
    )


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Two `environment`s are equal (the id tuples compared in paced steps)."""
    return len(a) == len(b) and all(
        same_items(x, y) if isinstance(x, tuple) and isinstance(y, tuple) else x == y
        for x, y in zip(a, b, strict=True)
    )


@dataclass
class ValidationMemo:
    env: tuple[Any, ...] | None = None
    clean: bool = False  # the last run found no errors
    entities: dict[int, dict[int, tuple[Any, tuple[Problem, ...]]]] = field(default_factory=dict)
    wholes: dict[Any, tuple[Any, tuple[Problem, ...]]] = field(default_factory=dict)
    reused: int = 0  # entities whose problems the last run kept (for tests and benchmarks)

    def start(self, ctx: RuleContext) -> bool:
        """Begin a run; True when the last run's results may be reused."""
        env = environment(ctx.registry, ctx.keys)
        usable = self.clean and self.env is not None and same(env, self.env)
        self.env, self.reused = env, 0
        if not usable:
            self.entities, self.wholes = {}, {}
        return usable

    def finish(self, problems: list[Problem]) -> None:
        self.clean = not any(p.is_error for p in problems)

    def each(
        self,
        step: int,
        ctx: RuleContext,
        items: Iterable[Any],
        check: Callable[[RuleContext, Any], Problems],
        reuse: bool,
    ) -> Problems:
        before = self.entities.get(step, {}) if reuse else {}
        now: dict[int, tuple[Any, tuple[Problem, ...]]] = {}
        for item in paced(items, 100):
            found = before.get(id(item))
            if found is not None and found[0] is item:
                self.reused += 1  # the same tuple: nothing new to make now, or to free later
            else:
                found = (item, tuple(check(ctx, item)))
            now[id(item)] = found
            yield from found[1]
        self.entities[step] = now

    def whole(
        self,
        ctx: RuleContext,
        run: Callable[[RuleContext], Problems],
        key: Callable[[], Iterable[Any]],
        reuse: bool,
    ) -> Problems:
        """A registry-wide rule, kept while `key()` (all that it reads) yields what it did
        last time; then the last key is kept too, and no new one is built."""
        before = self.wholes.get(run)
        if reuse and before is not None and same_items(before[0], key()):
            yield from before[1]
            return
        found = tuple(run(ctx))
        self.wholes[run] = (list(key()), found)
        yield from found
