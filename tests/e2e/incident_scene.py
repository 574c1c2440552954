"""An incident scene for end-to-end tests: the real app behind waitress with its services on
SQLite or PostgreSQL, the fake Slack Web API, signed requests as Slack sends them, one clock.

Nothing runs in the background: tests deliver the outbox and fire timers themselves.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.bootstrap import Services, build
from bot.db.models import Alert, IncidentEvent, SlackRoot
from bot.registry.holder import RegistryHolder
from bot.slack.app import create_app
from bot.slack.web import EVENTS_PATH
from tests.e2e.conftest import NOW, SIGNING_SECRET, SettableClock, make_settings, serving
from tests.fakes.fake_slack import FakeSlack, RecordedRequest, wait_for
from tests.fakes.signing import TEAM_ID, FakeSlackSender, command_body

FORM = "application/x-www-form-urlencoded"
ASKER, STRANGER = "U0ASKER001", "U0STRANGE1"
CHANNEL_ID, CHANNEL_NAME = "C0MLCHURN1", "mlops-churn-oncall"
PINGS = ("<@", "<!subteam", "<!channel", "<!here")


class Scene:
    def __init__(self, slack: FakeSlack, url: str, stack: ExitStack, *,
                 environ: dict[str, str] | None = None, **settings: Any) -> None:
        """`settings` replace the e2e ones (e.g. `registry_path`); `environ` goes to `build`."""
        self.slack, self.url, self.stack = slack, url, stack
        self.clock = SettableClock(NOW)
        self.settings = replace(make_settings(slack), **settings)
        self.environ = environ or {}
        self.holder = RegistryHolder.from_path(self.settings.registry_path)
        self.services: Services = self.start()
        self._ids = 0

    # -- processes -----------------------------------------------------------------------
    def start(self) -> Services:
        """(Re)start: new services and a new app on the same database (a restart)."""
        client = WebClient(token=self.settings.slack_bot_token, base_url=self.slack.base_url,
                           retry_handlers=[])
        services = build(replace(self.settings, database_url=self.url), slack_client=client,
                         environ=self.environ, clock=self.clock, holder=self.holder)
        self.stack.callback(services.close)
        app = create_app(self.settings, self.holder, clock=self.clock, services=services)
        base = self.stack.enter_context(serving(app))
        http = self.stack.enter_context(httpx.Client(timeout=10.0))
        self.sender = FakeSlackSender(http, base + EVENTS_PATH, SIGNING_SECRET,
                                      response_url=self.slack.response_url)
        self.services = services
        return services

    def next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids}"

    # -- Slack's side ----------------------------------------------------------------------
    def command(self, text: str, *, user: str = ASKER, response_id: str | None = None,
                channel: str = CHANNEL_ID) -> tuple[httpx.Response, str]:
        rid = response_id or self.next_id("cmd")
        body = command_body(text, response_url=self.slack.response_url(rid), command="/incident",
                            user_id=user, channel_id=channel)
        body = body.replace("channel_name=general", f"channel_name={CHANNEL_NAME}")
        return self.sender.post(body, FORM), rid

    def answer(self, response_id: str) -> dict[str, Any]:
        wait_for(lambda: self.slack.responses(response_id), message=f"answer {response_id}")
        return dict(self.slack.responses(response_id)[-1].body)

    def button_body(self, action_id: str, value: str, *, user: str, action_ts: str,
                    response_id: str) -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "u", "name": "u", "team_id": TEAM_ID},
            "api_app_id": "A0DEMARC01",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": self.root_ts(),
                          "channel_id": CHANNEL_ID, "is_ephemeral": False},
            "trigger_id": f"trigger-{action_ts}",
            "team": {"id": TEAM_ID, "domain": "test"},
            "channel": {"id": CHANNEL_ID, "name": CHANNEL_NAME},
            "message": {"type": "message", "ts": self.root_ts(), "text": "Incident"},
            "response_url": self.slack.response_url(response_id),
            "actions": [{"action_id": action_id, "block_id": "incident:1", "type": "button",
                         "text": {"type": "plain_text", "text": "x"}, "value": value,
                         "action_ts": action_ts}],
        }
        return "payload=" + quote(json.dumps(payload))

    def press(self, action_id: str, value: str = "1", *, user: str,
              response_id: str | None = None) -> str:
        rid = response_id or self.next_id("act")
        body = self.button_body(action_id, value, user=user, action_ts=self.next_ts(),
                                response_id=rid)
        assert self.sender.post(body, FORM).status_code == 200
        return rid

    def submit(self, callback_id: str, metadata: str, *, user: str, note: str,
               side: str | None = None, view_id: str | None = None,
               reason: str | None = None) -> httpx.Response:
        values: dict[str, Any] = {"note": {"note_text": {"type": "plain_text_input",
                                                         "value": note}}}
        if reason is not None:
            values["reason"] = {"reason_choice": {"type": "static_select",
                                                  "selected_option": {"value": reason}}}
        if side is not None:
            values["side"] = {"side_choice": {"type": "radio_buttons",
                                              "selected_option": {"value": side}}}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "test"},
            "user": {"id": user, "username": "u", "name": "u", "team_id": TEAM_ID},
            "api_app_id": "A0DEMARC01",
            "token": "legacy-verification-token",
            "trigger_id": "1111.2222.trigger",
            "view": {"id": view_id or self.next_id("V0VIEW"), "team_id": TEAM_ID,
                     "type": "modal", "callback_id": callback_id,
                     "private_metadata": metadata, "hash": "1.abc", "blocks": [],
                     "state": {"values": values}},
            "response_urls": [],
        }
        return self.sender.post("payload=" + quote(json.dumps(payload)), FORM)

    def next_ts(self) -> str:
        return f"1767226000.{self._next():06d}"

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    # -- our side --------------------------------------------------------------------------
    def deliver(self, rounds: int = 8) -> None:
        for _ in range(rounds):
            self.services.outbox.deliver_due()
            self.clock.advance(seconds=1.1)

    def root_ts(self, incident_id: int = 1) -> str:
        with Session(self.services.engine) as s:
            root = s.get(SlackRoot, f"incident:{incident_id}")
            return root.ts if root else "0.0"

    def events(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(IncidentEvent)
        if kind is not None:
            query = query.where(IncidentEvent.kind == kind)
        with Session(self.services.engine) as s:
            return int(s.scalar(query) or 0)

    def wait_event(self, kind: str, count: int = 1) -> None:
        wait_for(lambda: self.events(kind) >= count, message=f"{count} {kind} event(s)")

    def late_alert(self) -> int:
        with Session(self.services.engine) as s, s.begin():
            alert = Alert(contract_id="customer_master_db", period_key="2026-03-10",
                          kind="late", status="open", channel="#data-eng-oncall",
                          opened_at=datetime(2026, 3, 10, 2, 31, tzinfo=UTC), affected="")
            s.add(alert)
            s.flush()
            s.add(SlackRoot(key=f"alert:{alert.id}", channel="C0DATAENG1", ts="1767225000.1"))
            return alert.id

    def posts(self, channel: str) -> list[dict[str, Any]]:
        return [r.body for r in self.slack.calls("chat.postMessage")
                if r.body.get("channel") == channel]

    def thread(self) -> list[str]:
        """The incident thread's replies (Slack answers with a channel id: match the ts)."""
        ts = self.root_ts()
        return [json.dumps(r.body.get("blocks"), ensure_ascii=False)
                for r in self.slack.calls("chat.postMessage") if r.body.get("thread_ts") == ts]

    def root_edits(self) -> list[RecordedRequest]:
        ts = self.root_ts()
        return [r for r in self.slack.calls("chat.update") if r.body.get("ts") == ts]
