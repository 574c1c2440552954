"""A change request's changes and the change policy's verdicts on them."""

from __future__ import annotations

from dataclasses import dataclass

from ownership.changes import Verdict
from ownership.diff import Change


@dataclass(frozen=True, slots=True)
class Judgement:
    changes: tuple[Change, ...]
    verdicts: tuple[Verdict, ...]
    problems: tuple[str, ...] = ()

    @property
    def blocked(self) -> tuple[Verdict, ...]:
        """Breaking changes the policy holds back: no consent or notice period passed yet."""
        return tuple(v for v in self.verdicts if v.blocking)
