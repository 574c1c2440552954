"""`/incident` and `@demarc incident …`: acknowledged at once, the work done after the ack.

Usage problems are answered in the ack itself (nothing to look up); opening an incident and
showing a timeline happen after it, and the answer goes to the response URL, ephemerally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond

from bot.blocks.incident_modals import render_timeline, render_timeline_text
from bot.incidents.parse import (
    OpenRequest,
    TimelineRequest,
    Usage,
    incident_mention,
    parse_incident,
)
from bot.incidents.replies import USAGE
from bot.slack.listeners.lazy import Listener

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.incidents.service import IncidentService

NO_DATABASE = "Incidents need demarc's database, which this process has not got."
EMPTY_SUMMARY = "Say what is wrong after the asset. " + USAGE


def incidents_of(services: Services | None) -> IncidentService | None:
    return getattr(services, "incidents", None)


def make_incident_handler(services: Services | None) -> Listener:
    def ack_incident_command(ack: Ack, command: dict[str, Any]) -> None:
        request = parse_incident(str(command.get("text", "")))
        service = incidents_of(services)
        if isinstance(request, Usage) or service is None:
            ack(response_type="ephemeral", text=NO_DATABASE if service is None else _usage(request))
        else:
            ack()

    def handle_incident_command(command: dict[str, Any], respond: Respond) -> None:
        request = parse_incident(str(command.get("text", "")))
        service = incidents_of(services)
        if isinstance(request, Usage) or service is None:
            return  # answered in the ack
        user = str(command.get("user_id", ""))
        if isinstance(request, TimelineRequest):
            channel = str(command.get("channel_id", ""))
            name = str(command.get("channel_name", ""))
            _timeline(service, request, channel, name, respond)
            return
        reply = service.open(request.asset, request.summary, actor=user, severity=request.severity)
        respond(text=reply.text, response_type="ephemeral")

    return Listener(ack_incident_command, handle_incident_command)


def _usage(request: Usage | OpenRequest | TimelineRequest) -> str:
    if isinstance(request, Usage) and request.problem == "empty summary":
        return EMPTY_SUMMARY
    return USAGE


def _timeline(
    service: IncidentService,
    request: TimelineRequest,
    channel: str,
    name: str,
    respond: Respond,
) -> None:
    incident_id = request.incident_id or service.in_channel(channel, name)
    found = service.timeline(incident_id) if incident_id else None
    if found is None:
        text = (
            f"There is no incident #{request.incident_id}."
            if request.incident_id
            else "No incident in this channel. Ask for one by number: `/incident timeline 12`."
        )
        respond(text=text, response_type="ephemeral")
        return
    view, entries = found
    respond(
        text=render_timeline_text(view, entries),
        blocks=render_timeline(view, entries),
        response_type="ephemeral",
    )


def answer_incident_mention(text: str, user: str, services: Services | None) -> str | None:
    """The reply to `@demarc incident <asset> <summary>`, or None for other mentions."""
    rest = incident_mention(text)
    if rest is None:
        return None
    service = incidents_of(services)
    if service is None:
        return NO_DATABASE
    request = parse_incident(rest)
    if isinstance(request, OpenRequest):
        return service.open(
            request.asset, request.summary, actor=user, severity=request.severity
        ).text
    if isinstance(request, TimelineRequest) and request.incident_id:
        found = service.timeline(request.incident_id)
        return render_timeline_text(*found) if found else f"No incident #{request.incident_id}."
    return _usage(request).replace("/incident", "@demarc incident")
