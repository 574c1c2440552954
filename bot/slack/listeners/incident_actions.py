"""The incident buttons and modals: acknowledged at once, then acted on exactly once.

A replayed request (same `action_ts`, or the same submitted view) is dropped through the shared
event-dedupe table; a double click (two requests) meets the state: the second acknowledge or
escalate is a no-op, told ephemerally. Buttons of a resolved incident answer that it is
resolved; a stranger pressing Acknowledge, Escalate or Resolve is told who may.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.incident_modals import (
    NOTE_BLOCK,
    SIDE_BLOCK,
    read_metadata,
    read_reason,
    read_submission,
    render_note_modal,
    render_resolve_modal,
)
from bot.db.dedupe import SqlEventDeduper
from bot.slack.listeners.incidents import NO_DATABASE, incidents_of
from bot.slack.listeners.lazy import Listener, after_ack
from ownership.incidents import Action, BoundarySide

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.incidents.service import IncidentService

ID_VALUE = re.compile(r"[0-9]{1,9}")


def _say(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _replayed(service: IncidentService, kind: str, unique: object, user: str = "") -> bool:
    """True when this exact request (Slack's `action_ts`, or the view id) was handled before."""
    if not unique:
        return False  # nothing to recognise a replay by: act, the state keeps it safe
    key = f"{kind}:{unique}:{user}"[:64]
    return SqlEventDeduper(service.engine, service.clock).seen_before(key)


def _target(
    action: dict[str, Any], body: dict[str, Any], service: IncidentService | None, respond: Respond
) -> tuple[IncidentService, int, str] | None:
    """(service, incident id, user) for a fresh, well-formed click; None when answered."""
    if service is None:
        _say(respond, NO_DATABASE)
        return None
    value = str(action.get("value", ""))
    if not ID_VALUE.fullmatch(value):
        _say(respond, "That button is not valid.")
        return None
    user = str(body["user"]["id"])
    if _replayed(service, "action", action.get("action_ts"), user):
        return None
    return service, int(value), user


def make_act_handler(verb: Action, services: Services | None) -> Listener:
    """Acknowledge and Escalate: act, and answer only when nothing changed."""

    def handle_incident_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        target = _target(action, body, incidents_of(services), respond)
        if target is None:
            return
        service, incident_id, user = target
        reply = service.act(incident_id, verb, actor=user)
        if not reply.changed:
            _say(respond, reply.text)

    return after_ack(handle_incident_action)


def make_modal_handler(verb: Action, services: Services | None) -> Listener:
    """Resolve and Add note: check first, then open the modal (the trigger lives 3 seconds)."""

    def handle_incident_modal_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        target = _target(action, body, incidents_of(services), respond)
        if target is None:
            return
        service, incident_id, user = target
        refusal = service.check(incident_id, verb, actor=user)
        view = service.view(incident_id)
        if refusal is not None or view is None:
            _say(respond, refusal.text if refusal else f"There is no incident #{incident_id}.")
            return
        channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get(
            "channel_id"
        )
        render = render_resolve_modal if verb is Action.RESOLVE else render_note_modal
        client.views_open(trigger_id=body["trigger_id"], view=render(view, channel))

    return after_ack(handle_incident_modal_action)


def make_open_from_alert_handler(services: Services | None) -> Listener:
    def handle_open_incident_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        target = _target(action, body, incidents_of(services), respond)
        if target is None:
            return
        service, alert_id, user = target
        _say(respond, service.open_from_alert(alert_id, actor=user).text)

    return after_ack(handle_open_incident_action)


def _submission_errors(verb: Action, view: dict[str, Any]) -> dict[str, str]:
    note, side = read_submission((view.get("state") or {}).get("values") or {})
    errors = {}
    if verb is Action.RESOLVE and side not in {s.value for s in BoundarySide}:
        errors[SIDE_BLOCK] = "Pick the side of the boundary the cause was on."
    if not note:
        errors[NOTE_BLOCK] = "Write a few words: what broke, what fixed it."
    return errors


def make_submission_handler(verb: Action, services: Services | None) -> Listener:
    """The resolve and note modals: field errors in the ack, the change after it."""

    def ack_incident_submission(ack: Ack, view: dict[str, Any]) -> None:
        errors = _submission_errors(verb, view)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def handle_incident_submission(
        body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        if _submission_errors(verb, view):
            return  # answered in the ack
        values = (view.get("state") or {}).get("values") or {}
        note, side = read_submission(values)
        service = incidents_of(services)
        incident_id, channel = read_metadata(str(view.get("private_metadata", "")))
        user = str(body["user"]["id"])
        if service is None or incident_id is None or _replayed(service, "view", view.get("id")):
            return
        if verb is Action.RESOLVE:
            reply = service.resolve(
                incident_id, actor=user, side=side or "", note=note, reason=read_reason(values)
            )
        else:
            reply = service.add_note(incident_id, actor=user, note=note)
        if not reply.changed and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=reply.text)

    return Listener(ack_incident_submission, handle_incident_submission)
