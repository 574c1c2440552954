"""Close names for "did you mean" and `/whoowns` suggestions, without scanning in Python.

difflib's ratio decides, as it always has; on large name sets (tens of thousands of asset ids)
rapidfuzz first shortlists the names with the best Indel similarity in C. Indel similarity is
2·LCS/(len a + len b), never below difflib's ratio (its matching blocks are a common
subsequence), so nothing difflib would accept is cut by the score filter; the shortlist keeps
the best few, and difflib ranks those as `get_close_matches` does.
"""

from __future__ import annotations

import difflib
import heapq
from bisect import bisect_right
from collections.abc import Iterable

from rapidfuzz import fuzz, process

SMALL = 500  # at most this many names: difflib over all of them, exactly as before
SHORTLIST = 12  # names rapidfuzz hands to difflib on larger sets


class NameIndex:
    """Names in their first-seen order, with what finding close ones fast needs; build once."""

    __slots__ = ("_blob", "_names", "_sorted", "_starts")

    def __init__(self, names: Iterable[str]) -> None:
        self._names = list(dict.fromkeys(names))
        self._sorted: list[str] | None = None
        self._blob = ""
        self._starts: list[int] = []

    def __len__(self) -> int:
        return len(self._names)

    @property
    def large(self) -> bool:
        return len(self._names) > SMALL

    def close(self, word: str, n: int = 1, cutoff: float = 0.6) -> list[str]:
        """Up to `n` names whose difflib ratio to `word` is at least `cutoff`, best first."""
        if not self.large:
            return difflib.get_close_matches(word, self._names, n=n, cutoff=cutoff)
        found = process.extract(
            word,
            self._names,
            scorer=fuzz.ratio,
            processor=None,
            limit=max(SHORTLIST, n),
            score_cutoff=cutoff * 100,
        )
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        scored = []
        for name, _, _ in found:
            matcher.set_seq1(name)
            if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
                score = matcher.ratio()
                if score >= cutoff:
                    scored.append((score, name))
        return [name for _, name in heapq.nlargest(n, scored)]

    def containing(self, part: str, limit: int) -> list[str]:
        """The first `limit` names, in sorted order, that contain `part` (a str.find in C)."""
        if not part or limit <= 0:
            return []
        if self._sorted is None:
            self.prepare()
        assert self._sorted is not None
        out: list[str] = []
        at = self._blob.find(part)
        while at >= 0 and len(out) < limit:
            index = bisect_right(self._starts, at) - 1
            name = self._sorted[index]
            if part in name:  # not across the separator between two names
                out.append(name)
                at = self._starts[index] + len(name)  # each name once
            else:
                at += 1
            at = self._blob.find(part, at)
        return out

    def prepare(self) -> NameIndex:
        """Build the sorted view `containing` reads (at load, so no request pays for it)."""
        self._sorted = sorted(self._names)
        self._starts, position = [], 0
        for name in self._sorted:
            self._starts.append(position)
            position += len(name) + 1
        self._blob = "\n".join(self._sorted)
        return self
