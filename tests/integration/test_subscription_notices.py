"""A follower of an asset hears of a breaking change to its contract by DM, once, through the
outbox, on SQLite and PostgreSQL (the notice world of test_change_notices)."""

from __future__ import annotations

from bot.subscriptions.store import subscribe
from tests.integration.test_change_notices import World, world

__all__ = ["world"]  # the fixture
FOLLOWER = "U0FOLLOW01"


def test_a_breaking_change_is_dmed_to_followers_once(world: World) -> None:
    bot = world.replica()
    assert subscribe(bot.engine, FOLLOWER, "customer_master_db", world.clock())
    [action] = bot.changes.tick()
    assert action.kind == "announce"
    world.deliver(bot)
    [dm] = [p for p in world.posts() if p["channel"] == FOLLOWER]
    assert dm["text"] == "Breaking change to customer_master_db, effective 2026-10-31"
    assert "use billing_stripe.amount_cents" in str(dm["blocks"])
    assert "<!subteam" not in str(dm["blocks"])  # a DM pings nobody else
    assert bot.changes.tick() == []
    world.deliver(bot)
    assert len([p for p in world.posts() if p["channel"] == FOLLOWER]) == 1
