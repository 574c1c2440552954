"""The message shortcut "Add to incident timeline": in an incident's thread it records the
message on that incident at once; elsewhere a modal asks which open incident it belongs to."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.timeline_modal import (
    quote_metadata,
    read_pick,
    read_quote_metadata,
    render_pick_incident_modal,
)
from bot.incidents.quotes import Quote
from bot.slack.listeners.incidents import NO_DATABASE, incidents_of
from bot.slack.listeners.lazy import Listener, after_ack

if TYPE_CHECKING:
    from bot.bootstrap import Services

NONE_OPEN = (
    "No incident is open, so there is no timeline to add this message to. "
    "Open one with `/incident ASSET what is wrong`."
)


def _say(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SlackApiError:
        return None  # recorded without a link rather than not at all
    return str(link) if link else None


def make_timeline_shortcut_handler(services: Services | None) -> Listener:
    def handle_timeline_shortcut(
        body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        service = incidents_of(services)
        if service is None:
            _say(respond, NO_DATABASE)
            return
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id", ""))
        ts = str(message.get("ts") or body.get("message_ts") or "")
        author = str(message.get("user") or message.get("bot_id") or "")
        quote = Quote(channel, ts, author, str(message.get("text") or ""),
                      _permalink(client, channel, ts))
        user = str(body["user"]["id"])
        incident_id = service.of_thread(channel, str(message.get("thread_ts") or ts))
        if incident_id is not None:
            _say(respond, service.add_quote(incident_id, quote, actor=user).text)
            return
        choices = service.open_choices()
        if not choices:
            _say(respond, NONE_OPEN)
            return
        metadata = quote_metadata(channel, ts, author, quote.text, quote.permalink)
        view = render_pick_incident_modal(
            [(c.id, c.asset, c.summary) for c in choices], metadata, quote.text
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return after_ack(handle_timeline_shortcut)


def make_timeline_submission_handler(services: Services | None) -> Listener:
    def ack_timeline_submission(ack: Ack, view: dict[str, Any]) -> None:
        if read_pick((view.get("state") or {}).get("values") or {}) is None:
            ack(response_action="errors", errors={"incident": "Pick an incident."})
        else:
            ack()

    def handle_timeline_submission(
        body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        service = incidents_of(services)
        incident_id = read_pick((view.get("state") or {}).get("values") or {})
        data = read_quote_metadata(str(view.get("private_metadata", "")))
        if service is None or incident_id is None or data is None:
            return
        quote = Quote(data["c"], data["t"], data["a"], data.get("x", ""), data.get("p"))
        user = str(body["user"]["id"])
        reply = service.add_quote(incident_id, quote, actor=user)
        if quote.channel:
            with suppress(SlackApiError):  # the thread says so anyway
                client.chat_postEphemeral(channel=quote.channel, user=user, text=reply.text)

    return Listener(ack_timeline_submission, handle_timeline_submission)
