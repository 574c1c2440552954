"""Issue 9's "Done when" targets on a small deterministic replay (bench/b5_replay.py --tiny).

Eleven contracts over four days across the 2026-03-29 DST change, replayed on a fake clock
through the real FreshnessService (SQL probes on a SQLite warehouse) and the real outbox (to
the fake Slack Web API), once with a fixed sweep and once with the scheduler's own timing, and
judged against the bench's ground truth (bench/replay/truth.py, from docs/freshness.md).

One test per target and driver: a failure names the target and the mode that missed it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.replay import metrics
from bench.replay.driver import replay
from bench.replay.world import SPRING_TINY, generate

SEED = 1
SWEEP = timedelta(minutes=30)
RECHECK = timedelta(minutes=10)
MODES = ("sweep", "scheduler")



@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    world = generate(SPRING_TINY, SEED, tiny=True)
    out = {}
    for mode in MODES:
        workdir: Path = tmp_path_factory.mktemp(f"replay-{mode}")
        observed = replay(world, mode, workdir, sweep=SWEEP, recheck=RECHECK)
        out[mode] = metrics.evaluate(world, observed)
    return out


def test_the_replay_finds_breaches_of_every_kind_it_is_meant_to(
    figures: dict[str, dict[str, Any]],
) -> None:
    for mode in MODES:
        r = figures[mode]
        assert r["breaches_open_at_first_check"] >= 10, r
        assert r["folded"] >= 5, r
        assert r["checks"] > 100, r
        assert r["outbox_left"] == 0, r
        assert r["errors_logged"] == 0, r


def _recall(r: dict[str, Any]) -> None:
    assert r["recall"] == 1, r["missed"]


def _no_false_alarms(r: dict[str, Any]) -> None:
    assert r["false_alarms"] == [], r["false_alarms"]


def _latency(r: dict[str, Any]) -> None:
    assert r["alerts_later_than_interval"] == [], r["alerts_later_than_interval"]


def _one_root(r: dict[str, Any]) -> None:
    assert r["breaches_with_several_roots"] == [], r["breaches_with_several_roots"]
    assert r["should_fold_but_paged"] == [], r["should_fold_but_paged"]


def _no_wrong_folds(r: dict[str, Any]) -> None:
    assert r["wrong_folds"] == [], r["wrong_folds"]
    assert r["should_page_but_folded"] == [], r["should_page_but_folded"]


def _recovery(r: dict[str, Any]) -> None:
    assert r["recoveries_slower_than_interval"] == [], r["recoveries_slower_than_interval"]
    assert r["recoveries_never_seen"] == [], r["recoveries_never_seen"]


def _no_loops(r: dict[str, Any]) -> None:
    assert r["check_loops"] == [], (r["check_loops"], r["loop_fastest_gap_s"])
    assert r["max_checks_per_contract_hour"] <= r["checks_per_hour_limit"]



@pytest.mark.parametrize("mode", MODES)
def test_every_breach_open_at_its_first_check_is_alerted(
    figures: dict[str, dict[str, Any]], mode: str
) -> None:
    _recall(figures[mode])


@pytest.mark.parametrize("mode", MODES)
def test_no_false_alarms(figures: dict[str, dict[str, Any]], mode: str) -> None:
    _no_false_alarms(figures[mode])


@pytest.mark.parametrize("mode", MODES)
def test_every_alert_own_or_folded_within_one_check_interval(
    figures: dict[str, dict[str, Any]], mode: str
) -> None:
    _latency(figures[mode])


@pytest.mark.parametrize("mode", MODES)
def test_exactly_one_root_per_incident(figures: dict[str, dict[str, Any]], mode: str) -> None:
    _one_root(figures[mode])



@pytest.mark.parametrize("mode", MODES)
def test_no_downstream_folded_into_an_upstream_that_broke_after_it(
    figures: dict[str, dict[str, Any]], mode: str
) -> None:
    _no_wrong_folds(figures[mode])


@pytest.mark.parametrize("mode", MODES)
def test_every_recovery_seen_within_one_recheck_interval(
    figures: dict[str, dict[str, Any]], mode: str
) -> None:
    _recovery(figures[mode])


@pytest.mark.parametrize("mode", MODES)
def test_no_check_loop_faster_than_the_configured_interval(
    figures: dict[str, dict[str, Any]], mode: str
) -> None:
    _no_loops(figures[mode])


COMPARED = ("breaches_open_at_first_check", "alerted", "missed", "false_alarms", "roots",
            "folded", "wrong_folds", "checks", "check_loops")


@pytest.fixture(scope="module")
def first_day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    world = generate(SPRING_TINY, SEED, tiny=True)
    observed = replay(world, "scheduler", tmp_path_factory.mktemp("replay-day"), sweep=SWEEP,
                      recheck=RECHECK, days=1)
    return metrics.evaluate(world, observed)


def test_the_replay_gives_the_same_figures_on_each_database(
    first_day: dict[str, Any], database_url: str, tmp_path: Path
) -> None:
    world = generate(SPRING_TINY, SEED, tiny=True)
    observed = replay(world, "scheduler", tmp_path, sweep=SWEEP, recheck=RECHECK,
                      database_url=database_url, days=1)
    again = metrics.evaluate(world, observed)
    assert {k: again[k] for k in COMPARED} == {k: first_day[k] for k in COMPARED}
    assert first_day["alerted"] >= 2
