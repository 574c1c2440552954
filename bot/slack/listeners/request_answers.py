"""Accept, Counter-propose and Decline on a data request, and their modals.

A replayed request is dropped through the shared event-dedupe table; who may press what is
decided by `ownership.requests.states.step_for`, and a refusal is told ephemerally.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.request_answers import (
    read_field,
    read_request_metadata,
    render_counter_modal,
    render_decline_modal,
)
from bot.blocks.request_modal import read_request_values
from bot.db.dedupe import SqlEventDeduper
from bot.requests.steps import resolve_step
from bot.slack.listeners.lazy import Listener, after_ack
from bot.slack.listeners.requests import NO_DATABASE
from ownership.requests.form import with_terms
from ownership.requests.model import DataRequestForm
from ownership.requests.states import Pressed, Step

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.requests.steps import RequestSteps

ID_VALUE = re.compile(r"[0-9]{1,9}")


def steps_of(services: Services | None) -> RequestSteps | None:
    return getattr(services, "request_steps", None)


def _say(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def _replayed(steps: RequestSteps, kind: str, unique: object, user: str = "") -> bool:
    if not unique:
        return False
    key = f"request-{kind}:{unique}:{user}"[:64]
    return SqlEventDeduper(steps.service.engine, steps.service.clock).seen_before(key)


def make_press_handler(pressed: Pressed, services: Services | None) -> Listener:
    """Accept acts at once; Counter-propose and Decline open their modal (checked first)."""

    def handle_request_press(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        steps = steps_of(services)
        if steps is None:
            _say(respond, NO_DATABASE)
            return
        value = str(action.get("value", ""))
        if not ID_VALUE.fullmatch(value):
            _say(respond, "That button is not valid.")
            return
        user = str(body["user"]["id"])
        if _replayed(steps, "action", action.get("action_ts"), user):
            return
        if pressed is Pressed.ACCEPT:
            reply = steps.act(int(value), pressed, user)
            if not reply.changed:
                _say(respond, reply.text)
            return
        found = resolve_step(steps.service, int(value), pressed, user)
        if isinstance(found, str):
            _say(respond, found)
            return
        step, form = found
        channel = (body.get("channel") or {}).get("id")
        view = (
            render_decline_modal(int(value), form, channel)
            if pressed is Pressed.DECLINE
            else render_counter_modal(int(value), form, channel, answering=step is Step.ANSWER)
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    return after_ack(handle_request_press)


def _counter_terms(
    steps: RequestSteps, view: dict[str, Any]
) -> tuple[int, DataRequestForm, str] | dict[str, str]:
    values = (view.get("state") or {}).get("values") or {}
    request_id, _ = read_request_metadata(str(view.get("private_metadata", "")))
    if request_id is None:
        return {"note": "This form is not valid any more: press the button again."}
    with_form = steps.service.terms_of(request_id)
    if with_form is None:
        return {"note": f"There is no data request #{request_id}."}
    terms = with_terms(with_form, read_request_values(values))
    if isinstance(terms, dict):
        return terms
    return request_id, terms, read_field(values, "note")


def make_counter_submission_handler(services: Services | None) -> Listener:
    def ack_counter_submission(ack: Ack, view: dict[str, Any]) -> None:
        steps = steps_of(services)
        checked = _counter_terms(steps, view) if steps else {}
        if isinstance(checked, dict) and checked:
            ack(response_action="errors", errors=checked)
        else:
            ack()

    def handle_counter_submission(
        body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        steps = steps_of(services)
        if steps is None or _replayed(steps, "view", view.get("id")):
            return
        checked = _counter_terms(steps, view)
        if isinstance(checked, dict):
            return  # answered in the ack
        request_id, terms, note = checked
        user = str(body["user"]["id"])
        reply = steps.act(request_id, Pressed.COUNTER, user, terms=terms, note=note)
        _tell(client, view, user, reply.text, reply.changed)

    return Listener(ack_counter_submission, handle_counter_submission)


def make_decline_submission_handler(services: Services | None) -> Listener:
    def ack_decline_submission(ack: Ack, view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        if not read_field(values, "reason"):
            ack(
                response_action="errors",
                errors={"reason": "Say why: the requester needs it to ask again better."},
            )
        else:
            ack()

    def handle_decline_submission(
        body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        steps = steps_of(services)
        reason = read_field((view.get("state") or {}).get("values") or {}, "reason")
        request_id, _ = read_request_metadata(str(view.get("private_metadata", "")))
        if steps is None or not reason or request_id is None:
            return
        if _replayed(steps, "view", view.get("id")):
            return
        user = str(body["user"]["id"])
        reply = steps.act(request_id, Pressed.DECLINE, user, note=reason)
        _tell(client, view, user, reply.text, reply.changed)

    return Listener(ack_decline_submission, handle_decline_submission)


def _tell(client: WebClient, view: dict[str, Any], user: str, text: str, changed: bool) -> None:
    """A refusal goes back to the person, ephemerally (a change shows in the thread)."""
    _, channel = read_request_metadata(str(view.get("private_metadata", "")))
    if not changed and channel:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
