"""Close names for "did you mean" and `/whoowns` suggestions, without scanning in Python.

difflib's ratio decides, as it always has; on large name sets (tens of thousands of asset ids)
rapidfuzz first shortlists the names with the best Indel similarity in C. Indel similarity is
2·LCS/(len a + len b), never below difflib's ratio (its matching blocks are a common
subsequence), so nothing difflib would accept is cut by the score filter; the shortlist keeps
the best few, and difflib ranks those as `get_close_matches` does.

Scoring 100k names costs ~10 ms a word, too much for an answer in the ack, so rapidfuzz first
scores only the names sharing the word's rarest trigrams (up to `CANDIDATES` names, as
pg_trgm's index does); when those give fewer than asked, it widens to the names sharing the
next-rarest trigrams, never more than `MOST` in all. A word no name is close to (the usual
unknown word) used to be scored against every name, ~10 ms of CPU held under the GIL, which a
busy machine turned into the tail of `/whoowns`; a name sharing none of the word's trigrams,
or only ones so common that `MOST` names share rarer ones, is not a suggestion anyone needs.
"""

from __future__ import annotations

import difflib
import heapq
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

SMALL = 500  # at most this many names: difflib over all of them, exactly as before
SHORTLIST = 12  # names rapidfuzz hands to difflib on larger sets
CANDIDATES = 4000  # names sharing the word's rarest trigrams that rapidfuzz scores first
MOST = 12_000  # names scored for one word at most, the widened shortlist included


def trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class NameIndex:
    """Names in their first-seen order, with what finding close ones fast needs; build once."""

    __slots__ = ("_blob", "_grams", "_names", "_sorted", "_starts")

    def __init__(self, names: Iterable[str]) -> None:
        self._names = list(dict.fromkeys(names))
        self._sorted: list[str] | None = None
        self._blob = ""
        self._starts: list[int] = []
        self._grams: dict[str, array[int]] | None = None

    def __len__(self) -> int:
        return len(self._names)

    @property
    def large(self) -> bool:
        return len(self._names) > SMALL

    def close(self, word: str, n: int = 1, cutoff: float = 0.6) -> list[str]:
        """Up to `n` names whose difflib ratio to `word` is at least `cutoff`, best first."""
        if not self.large:
            return difflib.get_close_matches(word, self._names, n=n, cutoff=cutoff)
        limit = max(SHORTLIST, n)
        first, partial = self._shortlist(word)
        found = _best(word, first, limit, cutoff)
        if len(found) < n and partial:  # the rarest trigrams missed: the next-rarest too
            wider, _ = self._shortlist(word, MOST)
            if len(wider) > len(first):
                found = _best(word, wider, limit, cutoff)
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

    def _shortlist(self, word: str, most: int = CANDIDATES) -> tuple[list[str], bool]:
        """Names sharing the word's rarest trigrams (≤ `most`, in first-seen order), and
        whether some names sharing one of its trigrams were left out."""
        if self._grams is None:
            self.prepare()
        assert self._grams is not None
        postings = sorted(
            (p for g in trigrams(word) if (p := self._grams.get(g)) is not None), key=len
        )
        chosen: set[int] = set()
        for posting in postings:
            if len(chosen) + len(posting) > most:
                if not chosen:  # even the rarest is common: its first names only
                    chosen.update(posting[:most])
                return [self._names[i] for i in sorted(chosen)], True
            chosen.update(posting)
        return [self._names[i] for i in sorted(chosen)], False

    def containing(self, part: str, limit: int) -> list[str]:
        """The first `limit` names, in sorted order, that contain `part` (a str.find in C)."""
        if not part or limit <= 0:
            return []
        if self._sorted is None:
            self.prepare()
        assert self._sorted is not None
        few = self._few_containing(part)
        if few is not None:
            return sorted(few)[:limit]
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

    def _few_containing(self, part: str) -> list[str] | None:
        """Every name containing `part`, from the postings of its rarest trigram (a name that
        contains it has each of its trigrams); None when that posting is too long to filter
        in Python, and the scan of every name in C is cheaper. Scanning the ~1 MB of 100k
        names for a word no name contains took ~1 ms of every unknown word's answer."""
        if not self._grams or len(part) < 3:
            return None
        rarest = None
        for gram in {part[i : i + 3] for i in range(len(part) - 2)}:
            posting = self._grams.get(gram)
            if posting is None:
                return []
            if rarest is None or len(posting) < len(rarest):
                rarest = posting
        if rarest is None or len(rarest) > CANDIDATES:
            return None
        names = self._names
        return [names[i] for i in rarest if part in names[i]]

    def prepare(self) -> NameIndex:
        """Build the sorted view `containing` reads (at load, so no request pays for it)."""
        self._sorted = sorted(self._names)
        self._starts, position = [], 0
        for name in self._sorted:
            self._starts.append(position)
            position += len(name) + 1
        self._blob = "\n".join(self._sorted)
        if self.large:
            grams: dict[str, array[int]] = {}
            for index, name in enumerate(self._names):
                for gram in trigrams(name):
                    posting = grams.get(gram)
                    if posting is None:
                        grams[gram] = posting = array("I")
                    posting.append(index)
            self._grams = grams
        else:
            self._grams = {}
        return self


def _best(
    word: str, names: Sequence[str], limit: int, cutoff: float
) -> list[tuple[str, float, int]]:
    """rapidfuzz's best `limit` names by Indel similarity at least `cutoff`."""
    return process.extract(
        word, names, scorer=fuzz.ratio, processor=None, limit=limit, score_cutoff=cutoff * 100
    )
