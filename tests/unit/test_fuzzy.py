"""Close names: the same as difflib's for typos, on small and on large name sets, and fast."""

from __future__ import annotations

import difflib
import random
import shutil
from pathlib import Path

import pytest

from bot.registry.holder import RegistryHolder
from ownership.answers import NotFound, who_owns
from ownership.fuzzy import SMALL, NameIndex
from ownership.loader import load_registry
from ownership.rules.context import MAX_LARGE_HINTS
from tests.conftest import EXAMPLE_REGISTRY
from tests.unit.test_answers import NOW

WORDS = ["customer_age", "customer_master_db", "churn_model", "usage_logs", "billing_stripe",
         "feature_store", "session_events", "orders_daily", "payments_ledger", "web_clicks"]


def large_names() -> list[str]:
    rng = random.Random(3)
    names = [f"{rng.choice(WORDS)}_{i:05d}" for i in range(3 * SMALL)]
    return names + WORDS


def typos(word: str) -> list[str]:
    return [word[1:], word[:3] + word[4:], word[:2] + word[3] + word[2] + word[4:],
            word.replace("e", "a", 1), word + "s", word.upper().lower()[:-2]]


@pytest.mark.parametrize("word", WORDS)
def test_typos_find_what_difflib_finds_on_a_large_set(word: str) -> None:
    names = large_names()
    index = NameIndex(names)
    assert index.large
    for typo in typos(word):
        expected = difflib.get_close_matches(typo, names, n=1, cutoff=0.6)
        assert index.close(typo, n=1) == expected, typo


def test_small_sets_are_difflib_exactly() -> None:
    index = NameIndex(WORDS)
    for typo in ["custmer_age", "zzz", "churn", "billing"]:
        assert index.close(typo, n=3) == difflib.get_close_matches(typo, WORDS, n=3, cutoff=0.6)


def test_containing_lists_names_in_sorted_order_each_once() -> None:
    index = NameIndex(["b_orders", "a_orders_orders", "orders", "x", "c_order"]).prepare()
    assert index.containing("orders", 10) == ["a_orders_orders", "b_orders", "orders"]
    assert index.containing("orders", 2) == ["a_orders_orders", "b_orders"]
    assert index.containing("s\no", 10) == []  # never across two names
    assert index.containing("", 10) == []


def test_the_answer_indexes_are_built_when_the_registry_loads(tmp_path: Path) -> None:
    holder = RegistryHolder.from_path(EXAMPLE_REGISTRY)
    assert "_answers_names" in holder.registry.__dict__  # no lookup pays for building them
    answer = who_owns(holder.registry, "custmer_age", NOW)
    assert isinstance(answer, NotFound)
    assert answer.suggestions[0] == "customer_age"


def test_many_dangling_references_get_hints_up_to_a_budget(tmp_path: Path) -> None:
    root = Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))
    known = [f"known_table_{i:04d}" for i in range(SMALL + 1)]  # a large set of asset ids
    missing = [f"known_table_{i:04d}x" for i in range(MAX_LARGE_HINTS + 5)]
    lines = ["assets:"] + [
        f"  - {{id: {a}, kind: dashboard, owner: data_engineering}}" for a in known
    ] + [
        f"  - {{id: user_{i}, kind: dashboard, owner: data_engineering, upstream: [{m}]}}"
        for i, m in enumerate(missing)
    ]
    (root / "many.yaml").write_text("\n".join(lines) + "\n")
    errors = [p for p in load_registry(root).problems if p.code == "unknown-asset"]
    assert len(errors) == len(missing)
    hinted = [p for p in errors if "did you mean" in p.message]
    assert len(hinted) == MAX_LARGE_HINTS
    assert "upstream 'known_table_0000x' is not an asset; did you mean 'known_table_0000'?" in (
        hinted[0].message
    )


def test_the_trigram_shortlist_finds_what_scoring_every_name_finds() -> None:
    """Large registries score the names sharing the word's rarest trigrams first; the answers
    are as close as scoring every name gives (rank by rank: among equally close names either
    may be named), and a word nothing is close to gets no suggestion."""
    import ownership.fuzzy as fuzzy

    rng = random.Random(7)
    names = [f"{rng.choice(WORDS)}_{i:05d}" for i in range(20_000)]
    index = NameIndex(names).prepare()
    words = [f"{rng.choice(WORDS)}_{rng.randrange(20_000):05d}"[:-1] + "x" for _ in range(40)]
    words += ["qqqqqqqqqq", "zz_9"]
    shortlisted = [index.close(w, n=3) for w in words]

    class Everything(NameIndex):
        def _shortlist(self, word: str) -> tuple[list[str], bool]:
            return list(names), False

    everything = Everything(names).prepare()
    full = [everything.close(w, n=3) for w in words]

    def ratios(word: str, found: list[str]) -> list[float]:
        return [round(difflib.SequenceMatcher(None, name, word).ratio(), 9) for name in found]

    assert [ratios(w, s) for w, s in zip(words, shortlisted, strict=True)] == [
        ratios(w, f) for w, f in zip(words, full, strict=True)
    ]
    assert sum(s == f for s, f in zip(shortlisted, full, strict=True)) >= len(words) - 3
    assert index.close("qqqqqqqqqq", n=3) == []
    chosen, partial = index._shortlist("customer_age_01234")
    assert partial
    assert len(chosen) <= fuzzy.CANDIDATES


def test_typos_of_names_in_a_large_set_suggest_the_name() -> None:
    """Asset-id-like names by the thousand (one prefix, a number): a letter dropped, a digit
    doubled, two letters swapped or a suffix added still suggest the name (or names at least
    as close)."""
    names = [f"{p}_{i:06d}" for i in range(15_000) for p in ("asset", "alias")]
    index = NameIndex(names).prepare()
    for i in (7, 1234, 9999, 14_321):
        for name in (f"asset_{i:06d}", f"alias_{i:06d}"):
            for typo in (name[1:], name[:2] + name[3:], name[:-2] + name[-2] + name[-2:],
                         name[:1] + name[2] + name[1] + name[3:], name + "_x"):
                found = index.close(typo, n=3)
                ratio = difflib.SequenceMatcher(None, name, typo).ratio()
                assert len(found) == 3, typo  # a doubled digit can make others as close:
                assert name in found or all(  # then those are suggested, each as close
                    difflib.SequenceMatcher(None, f, typo).ratio() >= ratio for f in found
                ), (typo, found)


def test_a_word_close_to_nothing_costs_a_bounded_number_of_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown word sharing trigrams with every name is scored against at most `MOST`
    names, not all of them (that was ~10 ms of CPU at 100k names), and gets no suggestion."""
    import ownership.fuzzy as fuzzy

    names = [f"asset_{i:06d}" for i in range(3 * fuzzy.MOST)]
    index = NameIndex(names).prepare()
    scored: list[int] = []
    best = fuzzy._best

    def counting(word: str, pool: list[str], limit: int, cutoff: float) -> object:
        scored.append(len(pool))
        return best(word, pool, limit, cutoff)

    monkeypatch.setattr(fuzzy, "_best", counting)
    for word in ("asset", "sessions_000123_daily", "orders_000042_weekly"):
        scored.clear()
        assert index.close(word, n=3) == []
        assert scored, word
        assert max(scored) <= fuzzy.MOST, word
    scored.clear()
    assert index.close("aset_012345", n=3)[0] == "asset_012345"
    assert max(scored) <= fuzzy.CANDIDATES  # a typo with close names: the first tier only


def test_close_names_beyond_the_rarest_trigrams_are_found_in_the_wider_list() -> None:
    """The rarest trigram of a typo can be the typo's own ("lyq" in "orders_dailyq"): the names
    it picks are not the close ones, and the next-rarest trigrams find them."""
    import ownership.fuzzy as fuzzy

    many = fuzzy.CANDIDATES + 500
    names = [f"zlyq{i:05d}" for i in range(fuzzy.CANDIDATES)]
    names += [f"orders_daily_{i:05d}" for i in range(many)]
    names += [f"{i:05d}orders_daily" for i in range(many)] + ["orders_daily"]
    index = NameIndex(names).prepare()
    first, partial = index._shortlist("orders_dailyq")
    assert partial
    assert "orders_daily" not in first
    assert index.close("orders_dailyq", n=1) == ["orders_daily"]


def test_containing_on_a_large_set_is_what_scanning_every_name_gives() -> None:
    """On large sets names containing the word come from its rarest trigram's names when
    those are few; the answer is the scan's (sorted, each once, the first `limit`)."""
    names = [*large_names(), "xorders_dailyx", "orders_daily_orders_daily", "ord"]
    index = NameIndex(names).prepare()
    assert index.large
    for part in ["orders_daily", "orders_daily_0", "_0012", "ers_da", "zzz", "ord", "s_d",
                 "customer_age_01", "rs_daily_01"]:
        expected = sorted(n for n in set(names) if part in n)
        for limit in (1, 3, 50):
            assert index.containing(part, limit) == expected[:limit], (part, limit)
