"""The registry parser under fuzz: no generated registry, however broken, gives a traceback.

CI runs a small, derandomized sample (fixed examples, bounded time); `python -m tests.fuzz`
runs 10,000 and records the result in tests/fuzz/RESULTS.md.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.fuzz.registries import SEEDS, check_registry, dump, registries


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(registries())
def test_no_generated_registry_gives_a_traceback(files: dict[str, bytes]) -> None:
    check_registry(files)


def test_every_seed_loads_unmutated() -> None:
    """The seeds are valid on their own, so a mutation is what breaks them."""
    for name, docs in SEEDS:
        result = check_registry({name: dump(docs)})
        assert not [p for p in result.problems if p.code == "yaml"], name
