"""The registry parser under fuzz: no generated registry, however broken, gives a traceback.

CI runs a small, derandomized sample (fixed examples, bounded time); `python -m tests.fuzz`
runs 10,000 and records the result in tests/fuzz/RESULTS.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings

from ownership.answers import who_owns
from ownership.oncall import on_call
from tests.fuzz.registries import (
    SEEDS,
    check_registry,
    dump,
    registries,
    typed_value_mutations,
)


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


NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(typed_value_mutations())
def test_a_value_the_loader_accepts_never_breaks_an_answer(files: dict[str, bytes]) -> None:
    """Odd timezones, durations, times and dates that load must also answer at 3 AM."""
    registry = check_registry(files).registry
    if registry is None:
        return
    for asset_id in registry.assets:
        who_owns(registry, asset_id, NOW)
    for team in registry.teams.values():
        on_call(team, NOW)
