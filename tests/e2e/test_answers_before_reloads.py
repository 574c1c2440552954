"""Requests in progress are counted, so a registry reload gives way to them (bot.registry.gate)."""

from __future__ import annotations

import json

import httpx

from bot.registry.gate import AnswerGate
from bot.registry.holder import RegistryHolder
from bot.slack.app import create_app
from ownership.model import Registry
from tests.conftest import EXAMPLE_REGISTRY
from tests.e2e.conftest import SIGNING_SECRET, make_settings, serving
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.signing import FakeSlackSender, command_body


class WatchedHolder(RegistryHolder):
    """Records how many threads were answering whenever the registry is read."""

    seen: list[int]

    @property
    def registry(self) -> Registry:
        self.seen.append(self.gate.busy())
        return super().registry


def test_an_http_request_counts_while_it_is_answered() -> None:
    gate = AnswerGate()
    health = lambda: {"status": "ok", "answering": gate.busy()}  # noqa: E731
    with serving(None, health=health, gate=gate) as url:
        reply = httpx.get(url + "/healthz", timeout=10)
    assert reply.status_code == 200
    assert json.loads(reply.text)["answering"] == 1
    assert gate.busy() == 0  # and no longer once answered


def test_a_bolt_dispatch_counts_too_as_in_socket_mode(slack: FakeSlack) -> None:
    holder = WatchedHolder.from_path(EXAMPLE_REGISTRY)
    assert isinstance(holder, WatchedHolder)
    app = create_app(make_settings(slack), holder)
    holder.seen = []  # from here on: the answer's reads
    with serving(app) as url, httpx.Client(timeout=10) as http:  # no gate on the HTTP side
        sender = FakeSlackSender(
            http, url + "/slack/events", SIGNING_SECRET, response_url=slack.response_url
        )
        body = command_body("customer_age", response_url=slack.response_url("r1"))
        reply = sender.post(body, "application/x-www-form-urlencoded")
    assert reply.status_code == 200
    assert "customer_age" in reply.text
    assert holder.seen
    assert all(busy == 1 for busy in holder.seen)
    assert holder.gate.busy() == 0
