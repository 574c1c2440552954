"""`/demarc request`, the "Request data" button and the request modal (docs/requests.md).

The modal opens after the ack (its trigger lives 3 seconds); field errors are answered in the
submission's ack; the request is posted after it, and the requester told where, ephemerally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.request_modal import read_channel, read_request_values, render_request_modal
from bot.db.dedupe import SqlEventDeduper
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.lazy import Listener, after_ack
from ownership.requests.form import check_form
from ownership.requests.model import DataRequestForm
from ownership.requests.routing import team_of_user

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.requests.service import RequestService
    from bot.slack.listeners import Clock

NO_DATABASE = "Data requests need demarc's database, which this process has not got."


def requests_of(services: Services | None) -> RequestService | None:
    return getattr(services, "requests", None)


def open_request_modal(
    client: WebClient,
    holder: RegistryHolder,
    *,
    trigger_id: str,
    user: str,
    source: str | None,
    channel: str | None,
) -> None:
    registry = holder.registry
    known = source if source in registry.assets else None
    view = render_request_modal(
        registry, consumer_team=team_of_user(registry, user), source=known, channel=channel
    )
    client.views_open(trigger_id=trigger_id, view=view)


def handle_request_command(
    words: list[str],
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    *,
    holder: RegistryHolder,
    services: Services | None,
) -> None:
    """`/demarc request [SOURCE]`: the modal, the source chosen when it names one."""
    if requests_of(services) is None:
        respond(response_type="ephemeral", text=NO_DATABASE)
        return
    open_request_modal(
        client,
        holder,
        trigger_id=str(command.get("trigger_id", "")),
        user=str(command.get("user_id", "")),
        source=words[1] if len(words) > 1 else None,
        channel=str(command.get("channel_id", "")) or None,
    )


def make_request_button_handler(holder: RegistryHolder, services: Services | None) -> Listener:
    def handle_request_data_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        if requests_of(services) is None:
            respond(text=NO_DATABASE, response_type="ephemeral", replace_original=False)
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        open_request_modal(
            client,
            holder,
            trigger_id=str(body.get("trigger_id", "")),
            user=str(body["user"]["id"]),
            source=str(action.get("value", "")),
            channel=channel,
        )

    return after_ack(handle_request_data_action)


def _form(
    holder: RegistryHolder, view: dict[str, Any], clock: Clock
) -> DataRequestForm | dict[str, str]:
    fields = read_request_values((view.get("state") or {}).get("values") or {})
    return check_form(holder.registry, fields, clock().date())


def make_request_submission_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None
) -> Listener:
    def ack_request_submission(ack: Ack, view: dict[str, Any]) -> None:
        form = _form(holder, view, clock)
        if isinstance(form, dict):
            ack(response_action="errors", errors=form)
        else:
            ack()

    def handle_request_submission(
        body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        form = _form(holder, view, clock)
        service = requests_of(services)
        if isinstance(form, dict) or service is None:
            return  # answered in the ack
        user = str(body["user"]["id"])
        unique = view.get("id")
        if unique and SqlEventDeduper(service.engine, service.clock).seen_before(
            f"request-view:{unique}"[:64]
        ):
            return  # a replayed submission: the request is posted once
        reply = service.submit(form, actor=user)
        channel = read_channel(str(view.get("private_metadata", "")))
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=reply.text)
        else:
            client.chat_postMessage(channel=user, text=reply.text)

    return Listener(ack_request_submission, handle_request_submission)
