"""The App Home tab: published when the person opens it (`app_home_opened`), after a search
in its box, after acting from it, and after any change to their subscriptions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks.escape import USER_ID, escape
from bot.blocks.home import HomeView, render_home
from bot.home.world import gather_home
from bot.outbox.home import remember_viewer
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.commands import parse_query
from bot.slack.listeners.lazy import Listener, after_ack
from bot.slack.listeners.oncall import answer_registry
from ownership.answers import who_owns

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock

log = logging.getLogger(__name__)
NO_DATABASE = "_The Home tab needs demarc's database, which this process has not got._"


def refresh_home(
    client: WebClient,
    services: Services | None,
    holder: RegistryHolder,
    clock: Clock,
    user_id: str,
    *,
    notice: str | None = None,
    query: str | None = None,
) -> None:
    """Publish `user_id`'s Home tab now; a Slack error is logged, never raised (the person
    acted already and was answered)."""
    if not USER_ID.match(user_id):
        return
    now = clock()
    registry = answer_registry(services, holder.registry, now)  # with shifts taken in Slack
    answer = who_owns(registry, query, now) if query else None
    if services is None:
        view = HomeView(user_id, now, notice=notice or NO_DATABASE, query=query, answer=answer)
    else:
        view = gather_home(
            services.engine, registry, user_id, now, notice=notice, query=query, answer=answer
        )
    try:
        client.views_publish(user_id=user_id, view=render_home(view))
    except SlackApiError as error:
        log.warning("Could not publish the Home tab of %s: %s", user_id,
                    error.response.get("error"))


def make_home_opened_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None
) -> Listener:
    def handle_app_home_opened_event(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        user = str(event.get("user", ""))
        if services is not None and USER_ID.match(user):
            with Session(services.engine) as session, session.begin():
                remember_viewer(session, user, clock())  # later changes re-publish their tab
        refresh_home(client, services, holder, clock, user)

    return after_ack(handle_app_home_opened_event)


def make_home_search_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None
) -> Listener:
    def handle_home_search_action(
        action: dict[str, Any], body: dict[str, Any], client: WebClient
    ) -> None:
        query = parse_query(str(action.get("value") or ""))
        refresh_home(client, services, holder, clock, str(body["user"]["id"]),
                     query=query or None)

    return after_ack(handle_home_search_action)


def make_home_incident_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None, *, open_from_alert: bool
) -> Listener:
    """Acknowledge an incident, or open one from a late contract, from the Home tab; the
    outcome is shown at the top of the refreshed tab (a Home tab has no response URL)."""

    def handle_home_incident_action(
        action: dict[str, Any], body: dict[str, Any], client: WebClient
    ) -> None:
        user = str(body["user"]["id"])
        value = str(action.get("value", ""))
        service = services.incidents if services is not None else None
        if service is None or not (value.isascii() and value.isdigit() and len(value) <= 9):
            text = "That button is not valid." if service else NO_DATABASE
        elif open_from_alert:
            text = service.open_from_alert(int(value), actor=user).text
        else:
            reply = service.acknowledge(int(value), actor=user)
            text = f"Acknowledged incident #{escape(value)}." if reply.changed else reply.text
        refresh_home(client, services, holder, clock, user, notice=text)

    return after_ack(handle_home_incident_action)
