"""Outgoing webhooks end to end, on SQLite and PostgreSQL: incident and contract events reach
a local receiver signed (checked there from the documented scheme), a failure is retried with
backoff, and a receiver that never answers 2xx ends in a dead letter."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import WebhookDelivery
from bot.settings_webhooks import WebhookTarget
from tests.e2e.conftest import NOW
from tests.e2e.incident_scene import Scene
from tests.e2e.surfaces_scene import data_at, scene
from tests.fakes.fake_receiver import FakeReceiver
from tests.fakes.fake_slack import wait_for

__all__ = ["scene"]  # the fixture
SECRET = "whsec-e2e-0123456789"
DE_ONCALL = "U0ALICE01"


def with_webhook(scene: Scene, receiver: FakeReceiver) -> None:
    """Restart the scene's bot with one webhook pointing at `receiver`."""
    scene.settings = replace(scene.settings, webhooks=(WebhookTarget("ops", receiver.url, SECRET),))
    scene.start()


def run(scene: Scene) -> int:
    assert scene.services.webhooks is not None
    return scene.services.webhooks.deliver_due()


def statuses(scene: Scene) -> list[str]:
    with Session(scene.services.engine) as s:
        return list(s.scalars(select(WebhookDelivery.status).order_by(WebhookDelivery.id)))


def test_incident_and_contract_events_arrive_signed_and_a_failure_is_retried(
    scene: Scene,
) -> None:
    with FakeReceiver(SECRET) as receiver:
        with_webhook(scene, receiver)
        receiver.fail_next(1)
        scene.command('customer_master_db "crm export broken"')
        scene.wait_event("opened")
        assert run(scene) == 0  # the receiver answered 500
        assert statuses(scene) == ["pending"]
        assert run(scene) == 0  # not due yet: backoff
        scene.clock.advance(seconds=3)
        assert run(scene) == 1
        first, again = receiver.received
        assert first.answered == 500
        assert again.answered == 204
        assert first.headers["x-demarc-delivery"] == again.headers["x-demarc-delivery"]
        assert again.body["type"] == "incident.opened"
        assert again.body["incident"]["asset"] == "customer_master_db"

        scene.press(ids.ACKNOWLEDGE_INCIDENT_ACTION, user=DE_ONCALL)
        scene.wait_event("acknowledged")
        data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))  # breach
        scene.clock.advance(minutes=5)
        data_at(scene, "customer_master_db", scene.clock())  # recovery
        assert run(scene) == 3
        kinds = [r.body["type"] for r in receiver.received[2:]]
        assert kinds == ["incident.acknowledged", "contract.breached", "contract.recovered"]
        assert all(r.signature_ok for r in receiver.received)
        assert receiver.received[3].body["alert"]["late_by_seconds"] > 0
        assert statuses(scene) == ["sent"] * 4

        before = len(scene.slack.calls("views.open"))
        scene.press(ids.RESOLVE_INCIDENT_ACTION, user=DE_ONCALL)
        wait_for(lambda: len(scene.slack.calls("views.open")) > before, message="views.open")
        view = scene.slack.calls("views.open")[-1].body["view"]
        metadata = (json.loads(view) if isinstance(view, str) else view)["private_metadata"]
        scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata, user=DE_ONCALL, note="backfilled",
                     side="data")
        scene.wait_event("resolved")
        assert run(scene) == 1
        resolved = receiver.received[-1].body
        assert resolved["type"] == "incident.resolved"
        assert resolved["incident"]["boundary_side"] == "data"
        assert resolved["incident"]["resolved_at"].endswith("Z")


def test_a_receiver_that_keeps_failing_gets_a_dead_letter(scene: Scene) -> None:
    with FakeReceiver(SECRET) as receiver:
        with_webhook(scene, receiver)
        receiver.fail_always = True
        scene.command('customer_age "predictions wrong"')
        scene.wait_event("opened")
        for _ in range(scene.settings.outbox_max_attempts + 2):
            run(scene)
            scene.clock.advance(minutes=6)  # past any backoff
        assert len(receiver.received) == scene.settings.outbox_max_attempts
        assert statuses(scene) == ["dead"]


def test_a_wrong_secret_does_not_verify(scene: Scene) -> None:
    with FakeReceiver("not-the-secret-at-all") as receiver:
        with_webhook(scene, receiver)
        scene.command('customer_age "predictions wrong"')
        scene.wait_event("opened")
        run(scene)
        [got] = receiver.received
        assert not got.signature_ok
        assert got.answered == 401
