"""Root causes first: a file that failed to parse explains the references into it that fail.

A syntax error in `teams.yaml` leaves every team undefined, so each contract's owner and each
RACI row is "not a team": dozens of errors that all mean "fix teams.yaml". Such an unresolved
reference is a knock-on of the failed file when that file's text mentions the name (or when
the file could not be read at all); reports list root causes, parse errors first, and
summarise the knock-ons in one line per failed file and kind of name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from ownership.errors import Kind, Problem

PARSE_CODES = frozenset({"yaml", "encoding", "io"})
# The kinds of name a reference problem names, by code: what the summary calls them.
REFERENCE_CODES = {
    "unknown-team": "teams",
    "unknown-asset": "assets",
    "unknown-activity": "activities",
    "unknown-contract": "contracts",
}
_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}


def classify(problems: Iterable[Problem], failed: Mapping[str, str | None]) -> list[Problem]:
    """Mark parse errors, and the references a failed file would have resolved as knock-ons.

    `failed` maps each file that failed to parse to its text (None when unreadable).
    """
    out = []
    for problem in problems:
        if problem.code in PARSE_CODES:
            out.append(replace(problem, kind=Kind.PARSE))
            continue
        cause = _cause(problem, failed) if problem.code in REFERENCE_CODES else None
        out.append(replace(problem, kind=Kind.KNOCK_ON, cause=cause) if cause else problem)
    return out


def _cause(problem: Problem, failed: Mapping[str, str | None]) -> str | None:
    for file, text in failed.items():
        if text is None or any(_mentions(text, ref) for ref in problem.refs):
            return file
    return None


def _mentions(text: str, name: str) -> bool:
    """`name` as a whole word of `text` (ids hold `. -`, so those do not end a word)."""
    if not name:
        return False
    return re.search(rf"(?<![\w.\-]){re.escape(name)}(?![\w.\-])", text) is not None


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Parse errors, then other root causes, then knock-ons; by position within each."""
    return sorted(
        problems,
        key=lambda p: (_KIND_ORDER[p.kind], p.where.file, p.where.line, p.where.column),
    )


def roots(problems: Iterable[Problem]) -> list[Problem]:
    """The problems to list: everything but knock-ons, in report order."""
    return ordered(p for p in problems if p.kind is not Kind.KNOCK_ON)


def knock_on_summary(problems: Iterable[Problem]) -> list[str]:
    """One line per failed file and kind of name: what was left out of the list, and why."""
    counts = Counter(
        (p.cause or "?", REFERENCE_CODES.get(p.code, "names"))
        for p in problems
        if p.kind is Kind.KNOCK_ON
    )
    return [
        f"{n} {'reference' if n == 1 else 'references'} to {what} from {cause}, "
        "which failed to parse, not listed"
        for (cause, what), n in sorted(counts.items())
    ]
