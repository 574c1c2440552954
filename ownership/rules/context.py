"""What every rule needs besides the entity it checks: the registry, its keys, resolved roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from ownership.errors import Problem, Severity
from ownership.model import Asset, ChangeNotice, Registry, Role, SourceRef
from ownership.raci import RoleInputs, role_inputs, roles_from, teams_with

if TYPE_CHECKING:
    from ownership.fuzzy import NameIndex

T = TypeVar("T")
Problems = Iterator[Problem]
RegistryRule = Callable[["RuleContext"], Problems]
Rule = Callable[["RuleContext", T], Problems]
# Hints from a large name set scan all of it (in C); past this many distinct unknown names in
# one validation the rest go without, so a registry with thousands of dangling references
# validates in time linear in its size, not in errors × names.
MAX_LARGE_HINTS = 50


class Holders(NamedTuple):
    """The teams Responsible and Accountable for an asset, once its roles are resolved."""

    responsible: list[str]
    accountable: list[str]


@dataclass
class RuleContext:
    registry: Registry
    keys: frozenset[str]  # what a RACI key may name: a team id or a discipline
    first_notices: dict[str, ChangeNotice]  # the first notice with each id
    _by_inputs: dict[RoleInputs, Holders] = field(default_factory=dict)
    _by_asset: dict[str, Holders] = field(default_factory=dict)  # several rules ask
    _indexes: dict[str, NameIndex] = field(default_factory=dict)
    _hints: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, registry: Registry) -> RuleContext:
        disciplines = {t.discipline for t in registry.teams.values() if t.discipline}
        first: dict[str, ChangeNotice] = {}
        for notice in registry.change_notices:
            first.setdefault(notice.id, notice)
        return cls(registry, frozenset(registry.teams) | disciplines, first)

    def holders(self, asset: Asset) -> Holders:
        """Who holds R and A for `asset`; thousands of assets share a few inputs, so each once."""
        found = self._by_asset.get(asset.id)
        if found is None:
            key = role_inputs(self.registry, asset)
            found = self._by_inputs.get(key)
            if found is None:
                roles = roles_from(self.registry, *key)
                found = Holders(
                    teams_with(roles, Role.RESPONSIBLE), teams_with(roles, Role.ACCOUNTABLE)
                )
                self._by_inputs[key] = found
            self._by_asset[asset.id] = found
        return found

    def hint(self, word: str, kind: str, names: Iterable[str]) -> str:
        """ "; did you mean 'x'?" for `word` among `names` (the registry's `kind`), or ""."""
        known = self._hints.get((kind, word))
        if known is not None:
            return known
        index = self._indexes.get(kind)
        if index is None:
            from ownership.fuzzy import NameIndex  # lazy: rapidfuzz, for a hint only

            index = self._indexes[kind] = NameIndex(names)
        if index.large and sum(k == kind for k, _ in self._hints) >= MAX_LARGE_HINTS:
            return ""
        close = index.close(word)
        found = self._hints[kind, word] = f"; did you mean '{close[0]}'?" if close else ""
        return found


def error(where: SourceRef, message: str, code: str, *refs: str) -> Problem:
    """An error; `refs` are the unresolved names (root_causes tells knock-ons by them)."""
    return Problem(where, message, Severity.ERROR, code, refs=refs)


def warning(where: SourceRef, message: str, code: str) -> Problem:
    return Problem(where, message, Severity.WARNING, code)
