"""Problems found in a registry, and the one exception the domain raises for them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ownership.model import SourceRef


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Kind(enum.Enum):
    """Root causes first: what to fix, before what follows from it. Ordered as reported."""

    PARSE = "parse"  # the file could not be read at all, so nothing in it counts
    ROOT = "root"
    KNOCK_ON = "knock-on"  # follows from a file that failed to parse (`cause`)


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding, printed as `file:line:col: severity: message [code]`.

    `refs` are the names an unresolved reference used (a team, asset, activity or contract):
    when a file that failed to parse mentions one, the problem is a knock-on of that file.
    """

    where: SourceRef
    message: str
    severity: Severity = Severity.ERROR
    code: str = "invalid"
    kind: Kind = Kind.ROOT
    cause: str | None = None  # the file that failed to parse, for a knock-on
    refs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.where}: {self.severity.value}: {self.message} [{self.code}]"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class OwnershipError(Exception):
    """Base of every error the domain raises on purpose."""


class RegistryInvalid(OwnershipError):
    """The registry has errors; `problems` lists every one of them (warnings included)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        first = f": {errors[0]}" if errors else ""
        super().__init__(f"{len(errors)} error(s) in the registry{first}")


class InvalidValue(OwnershipError, ValueError):
    """A single value (duration, time, timezone …) could not be understood."""
