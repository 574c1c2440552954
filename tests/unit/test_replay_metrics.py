"""The replay's scoring (bench/replay/metrics.py) on hand-made observations: a missed breach,
a false alarm, a late alert, a wrong fold and a check loop are each reported, so a green B5
figure cannot come from a blind metric."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bench.replay.driver import AlertSeen, Message, Observed
from bench.replay.metrics import evaluate
from bench.replay.truth import Spec
from bench.replay.world import Contract, Window, World

START = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
DAILY = Spec("daily", "UTC", time(2, 0), timedelta(minutes=30))  # deadline 02:30
LATER = Spec("daily", "UTC", time(4, 0), timedelta(minutes=30))  # deadline 04:30


def day(n: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, 20 + n, hh, mm, tzinfo=UTC)


def world() -> World:
    contracts = {"up": Contract("up", "data_engineering", DAILY),
                 "down": Contract("down", "analytics_eng", LATER, ("up",))}
    w = World(Window("test", START, 4, "none"), 1, contracts)
    on_time = [day(n, 2, 5) for n in range(-3, 5)]
    # up: day 1 missing until 06:00 (breach from 02:30); down waits for it (breach from 04:30)
    w.updates["up"] = sorted([t for t in on_time if t.day != 21] + [day(1, 6)])
    w.updates["down"] = sorted([t + timedelta(hours=2) for t in on_time if t.day != 21]
                               + [day(1, 6, 10)])
    return w


def observed(messages: list[Message], alerts: list[AlertSeen],
             checks: dict[str, list[datetime]] | None = None) -> Observed:
    obs = Observed("scheduler", timedelta(minutes=10), START, START + timedelta(days=4))
    obs.messages = messages
    obs.alerts = {a.id: a for a in alerts}
    obs.root_ts = {f"1.{a.id}": a.id for a in alerts}
    obs.checks = checks or {"up": [START], "down": [START]}
    return obs


def root(alert: int, at: datetime) -> Message:
    return Message(at, "chat.postMessage", f"1.{alert}", None, f"`late` root of {alert}")


def reply(alert: int, at: datetime, text: str) -> Message:
    return Message(at, "chat.postMessage", f"9.{at.minute}", f"1.{alert}", text)


UP = AlertSeen(1, "up", "2026-11-21", "late", day(1, 2, 31), None, day(1, 6, 5))
DOWN = AlertSeen(2, "down", "2026-11-21", "late", day(1, 4, 31), 1, day(1, 6, 15))


def test_right_alerts_score_full_marks() -> None:
    msgs = [root(1, day(1, 2, 31)), reply(1, day(1, 4, 31), "Also affected: `down` is late"),
            reply(1, day(1, 6, 5), "Data arrived"), reply(1, day(1, 6, 15), "`down` recovered")]
    r = evaluate(world(), observed(msgs, [UP, DOWN]))
    assert r["recall"] == 1
    assert r["false_alarms"] == []
    assert r["folded"] == 1
    assert r["wrong_folds"] == []
    assert r["alerts_later_than_interval"] == []
    assert r["recoveries_slower_than_interval"] == []
    assert r["latency"]["max_min"] == 1  # the root at 02:31, a minute after the deadline


def test_a_missed_breach_a_false_alarm_and_a_late_alert_are_reported() -> None:
    false = AlertSeen(3, "up", "2026-11-22", "late", day(2, 2, 31), None, None)
    msgs = [root(1, day(1, 3, 30)), root(3, day(2, 2, 31))]  # up an hour late; down never
    r = evaluate(world(), observed(msgs, [UP, false]))
    assert r["recall"] == 0.5
    assert r["missed"] == ["down 2026-11-21"]
    assert r["false_alarms"] == ["up 2026-11-22"]
    assert r["alerts_later_than_interval"] == ["up 2026-11-21 (+60 min)"]


def test_a_fold_under_an_upstream_that_broke_later_is_wrong() -> None:
    w = world()
    w.contracts["up"] = Contract("up", "data_engineering", LATER)  # now breaks at 04:30 …
    w.contracts["down"] = Contract("down", "analytics_eng", DAILY, ("up",))  # … after down
    w.updates["up"], w.updates["down"] = w.updates["down"], w.updates["up"]
    up = AlertSeen(1, "up", "2026-11-21", "late", day(1, 4, 31), None, None)
    down = AlertSeen(2, "down", "2026-11-21", "late", day(1, 4, 32), 1, None)
    msgs = [root(1, day(1, 4, 31)), reply(1, day(1, 4, 32), "Also affected: `down`")]
    r = evaluate(w, observed(msgs, [up, down]))
    assert r["wrong_folds"] == ["down 2026-11-21 under up 2026-11-21"]
    assert r["should_page_but_folded"] == ["down 2026-11-21"]


def test_a_contract_checked_every_second_is_a_loop() -> None:
    every_second = [START + timedelta(seconds=s) for s in range(100)]
    r = evaluate(world(), observed([], [], {"up": every_second, "down": [START]}))
    assert r["check_loops"] == ["up"]
    assert r["max_checks_per_contract_hour"] == 100
