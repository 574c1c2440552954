"""What every rule needs besides the entity it checks: the registry, its keys, resolved roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from ownership.errors import Problem, Severity
from ownership.model import Asset, ChangeNotice, Registry, SourceRef
from ownership.raci import RoleInputs, Roles, role_inputs, roles_from

T = TypeVar("T")
Problems = Iterator[Problem]
RegistryRule = Callable[["RuleContext"], Problems]
Rule = Callable[["RuleContext", T], Problems]


@dataclass
class RuleContext:
    registry: Registry
    keys: frozenset[str]  # what a RACI key may name: a team id or a discipline
    first_notices: dict[str, ChangeNotice]  # the first notice with each id
    _roles: dict[RoleInputs, Roles] = field(default_factory=dict)
    _asset_roles: dict[str, Roles] = field(default_factory=dict)  # several rules ask

    @classmethod
    def of(cls, registry: Registry) -> RuleContext:
        disciplines = {t.discipline for t in registry.teams.values() if t.discipline}
        first: dict[str, ChangeNotice] = {}
        for notice in registry.change_notices:
            first.setdefault(notice.id, notice)
        return cls(registry, frozenset(registry.teams) | disciplines, first)

    def roles_of(self, asset: Asset) -> Roles:
        """The asset's resolved roles; thousands of assets share a few inputs, so each once."""
        roles = self._asset_roles.get(asset.id)
        if roles is None:
            key = role_inputs(self.registry, asset)
            roles = self._roles.get(key)
            if roles is None:
                roles = self._roles[key] = roles_from(self.registry, *key)
            self._asset_roles[asset.id] = roles
        return roles


def error(where: SourceRef, message: str, code: str, *refs: str) -> Problem:
    """An error; `refs` are the unresolved names (root_causes tells knock-ons by them)."""
    return Problem(where, message, Severity.ERROR, code, refs=refs)


def warning(where: SourceRef, message: str, code: str) -> Problem:
    return Problem(where, message, Severity.WARNING, code)
