"""An escalation by timer (nobody acknowledged in time) reaches every follower the way a
pressed Escalate button does: the signed `incident.escalated` webhook and the subscriber's DM,
on SQLite and PostgreSQL. Asserted on the fake receiver and the fake Slack."""

from __future__ import annotations

from dataclasses import replace

from bot.incidents.timers import TimerJob
from bot.settings_webhooks import WebhookTarget
from tests.e2e.incident_scene import ASKER, STRANGER, Scene
from tests.e2e.surfaces_scene import demarc, dms, scene, text_of
from tests.fakes.fake_receiver import FakeReceiver

__all__ = ["scene"]  # the fixture
SECRET = "whsec-e2e-timers-0123456789"


def test_an_escalation_by_timer_sends_the_webhook_and_the_subscriber_dm(scene: Scene) -> None:
    with FakeReceiver(SECRET) as receiver:
        scene.settings = replace(
            scene.settings, webhooks=(WebhookTarget("ops", receiver.url, SECRET),)
        )
        scene.start()
        assert demarc(scene, "subscribe customer_age").startswith("Subscribed")
        scene.command('customer_age "predictions wrong"')
        scene.wait_event("opened")
        timers = TimerJob(scene.services.incidents, holder=scene.services.replica_id)
        webhooks = scene.services.webhooks
        assert webhooks is not None

        scene.clock.advance(minutes=14)
        assert timers.run_once() == 0  # not due yet
        scene.clock.advance(minutes=2)
        assert timers.run_once() == 1
        assert timers.run_once() == 0  # fired once
        scene.deliver()
        webhooks.deliver_due()

        kinds = [r.body["type"] for r in receiver.received]
        assert kinds == ["incident.opened", "incident.escalated"]
        escalated = receiver.received[-1]
        assert escalated.signature_ok
        assert escalated.body["incident"]["severity"] == "sev1"
        assert escalated.body["incident"]["escalated_at"].endswith("Z")

        told = [text_of(dm["blocks"]) for dm in dms(scene, ASKER)]
        assert len(told) == 2
        assert "opened on `customer_age`" in told[0]
        assert "Incident #1 on `customer_age` was escalated (SEV1)" in told[1]
        assert dms(scene, STRANGER) == []
        timers.release()
