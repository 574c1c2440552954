"""Slack listeners, grouped by surface; `register_listeners` is the one place routes are added.

Every route is recorded as a `Route` so tests can check them against `app.yaml` and
`bot.blocks.ids`.
Each route acknowledges on the request thread and does its work after the ack (`lazy.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from weakref import WeakKeyDictionary

from slack_bolt import App

from bot.blocks import ids
from bot.quality.state import with_live_state
from bot.registry.holder import RegistryHolder
from bot.slack.listeners import (
    actions,
    admin,
    commands,
    eta,
    events,
    home,
    incident_actions,
    incidents,
    oncall,
    request_answers,
    requests,
    subscriptions,
    timeline,
)
from bot.slack.listeners.lazy import Listener, register
from ownership.answers import Answer
from ownership.incidents import Action
from ownership.requests.states import Pressed

if TYPE_CHECKING:
    from bot.bootstrap import Services

Clock = Callable[[], datetime]
Handler = Callable[..., Any]
RouteKind = Literal["command", "action", "event", "view", "shortcut"]


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    id: str


_ROUTES: WeakKeyDictionary[App, frozenset[Route]] = WeakKeyDictionary()


def register_listeners(
    app: App, *, holder: RegistryHolder, clock: Clock, services: Services | None = None
) -> frozenset[Route]:
    """Add every command, action and event listener to `app`."""
    routes = {
        _add(
            app,
            "action",
            ids.SNOOZE_ALERT_ACTION,
            actions.make_snooze_handler(holder, clock, services),
        ),
        _add(
            app,
            "command",
            ids.WHOOWNS_COMMAND,
            commands.make_whoowns_handler(holder, clock, services, _live(services)),
        ),
        _add(
            app, "command", ids.DEMARC_COMMAND, admin.make_demarc_handler(holder, services, clock)
        ),
        _add(
            app,
            "action",
            ids.SHARE_ANSWER_ACTION,
            actions.make_share_handler(holder, clock, services),
        ),
        _add(
            app,
            "event",
            ids.APP_MENTION_EVENT,
            events.make_mention_handler(holder, clock, services),
        ),
        _add(app, "command", ids.ACK_COMMAND, eta.make_ack_handler(holder, clock, services)),
        _add(
            app,
            "action",
            ids.ETA_ALERT_ACTION,
            eta.make_eta_action_handler(holder, clock, services),
        ),
        *_incident_routes(app, services),
        *_surface_routes(app, holder, clock, services),
        *_oncall_routes(app, holder, clock, services),
        *_request_routes(app, holder, clock, services),
    }
    _ROUTES[app] = frozenset(routes)
    return _ROUTES[app]


def _incident_routes(app: App, services: Services | None) -> set[Route]:
    return {
        _add(app, "command", ids.INCIDENT_COMMAND, incidents.make_incident_handler(services)),
        _add(
            app,
            "action",
            ids.OPEN_INCIDENT_ACTION,
            incident_actions.make_open_from_alert_handler(services),
        ),
        _add(
            app,
            "action",
            ids.ACKNOWLEDGE_INCIDENT_ACTION,
            incident_actions.make_act_handler(Action.ACKNOWLEDGE, services),
        ),
        _add(
            app,
            "action",
            ids.ESCALATE_INCIDENT_ACTION,
            incident_actions.make_act_handler(Action.ESCALATE, services),
        ),
        _add(
            app,
            "action",
            ids.RESOLVE_INCIDENT_ACTION,
            incident_actions.make_modal_handler(Action.RESOLVE, services),
        ),
        _add(
            app,
            "action",
            ids.NOTE_INCIDENT_ACTION,
            incident_actions.make_modal_handler(Action.NOTE, services),
        ),
        _add(
            app,
            "view",
            ids.RESOLVE_INCIDENT_VIEW,
            incident_actions.make_submission_handler(Action.RESOLVE, services),
        ),
        _add(
            app,
            "view",
            ids.NOTE_INCIDENT_VIEW,
            incident_actions.make_submission_handler(Action.NOTE, services),
        ),
    }


def _surface_routes(
    app: App, holder: RegistryHolder, clock: Clock, services: Services | None
) -> set[Route]:
    """Subscriptions, the Home tab and the timeline shortcut (docs/slack-surfaces.md)."""
    return {
        _add(
            app,
            "action",
            ids.SUBSCRIBE_ACTION,
            subscriptions.make_subscribe_handler(holder, clock, services, follow=True),
        ),
        _add(
            app,
            "action",
            ids.UNSUBSCRIBE_ACTION,
            subscriptions.make_subscribe_handler(holder, clock, services, follow=False),
        ),
        _add(
            app,
            "event",
            ids.APP_HOME_OPENED_EVENT,
            home.make_home_opened_handler(holder, clock, services),
        ),
        _add(
            app,
            "action",
            ids.HOME_SEARCH_ACTION,
            home.make_home_search_handler(holder, clock, services),
        ),
        _add(
            app,
            "action",
            ids.HOME_ACKNOWLEDGE_ACTION,
            home.make_home_incident_handler(holder, clock, services, open_from_alert=False),
        ),
        _add(
            app,
            "action",
            ids.HOME_OPEN_INCIDENT_ACTION,
            home.make_home_incident_handler(holder, clock, services, open_from_alert=True),
        ),
        _add(
            app,
            "shortcut",
            ids.TIMELINE_SHORTCUT,
            timeline.make_timeline_shortcut_handler(services),
        ),
        _add(app, "view", ids.TIMELINE_VIEW, timeline.make_timeline_submission_handler(services)),
    }


def _oncall_routes(
    app: App, holder: RegistryHolder, clock: Clock, services: Services | None
) -> set[Route]:
    return {
        _add(
            app, "command", ids.ONCALL_COMMAND, oncall.make_oncall_handler(holder, clock, services)
        ),
        _add(
            app, "action", ids.PAGE_ONCALL_ACTION, oncall.make_page_handler(holder, clock, services)
        ),
        _add(
            app, "action", ids.TAKE_SHIFT_ACTION, oncall.make_take_handler(holder, clock, services)
        ),
    }


def _request_routes(
    app: App, holder: RegistryHolder, clock: Clock, services: Services | None
) -> set[Route]:
    """Data requests (docs/requests.md)."""
    return {
        _add(
            app,
            "action",
            ids.REQUEST_DATA_ACTION,
            requests.make_request_button_handler(holder, services),
        ),
        _add(
            app,
            "view",
            ids.REQUEST_VIEW,
            requests.make_request_submission_handler(holder, clock, services),
        ),
        _add(
            app,
            "action",
            ids.ACCEPT_REQUEST_ACTION,
            request_answers.make_press_handler(Pressed.ACCEPT, services),
        ),
        _add(
            app,
            "action",
            ids.COUNTER_REQUEST_ACTION,
            request_answers.make_press_handler(Pressed.COUNTER, services),
        ),
        _add(
            app,
            "action",
            ids.DECLINE_REQUEST_ACTION,
            request_answers.make_press_handler(Pressed.DECLINE, services),
        ),
        _add(
            app,
            "view",
            ids.COUNTER_REQUEST_VIEW,
            request_answers.make_counter_submission_handler(services),
        ),
        _add(
            app,
            "view",
            ids.DECLINE_REQUEST_VIEW,
            request_answers.make_decline_submission_handler(services),
        ),
    }


def routes_of(app: App) -> frozenset[Route]:
    """The routes `register_listeners` added to `app` (empty if it was never called)."""
    return _ROUTES.get(app, frozenset())


def _add(app: App, kind: RouteKind, route_id: str, listener: Listener) -> Route:
    routes = {
        "command": app.command,
        "action": app.action,
        "view": app.view,
        "event": app.event,
        "shortcut": app.shortcut,
    }
    register(routes[kind](route_id), listener)
    return Route(kind, route_id)


def _live(services: Services | None) -> Callable[[Answer], Answer] | None:
    """The answer with its contracts' last known freshness and quality, when a database is
    wired (the demo's and the tests' apps without one answer from the registry alone)."""
    if services is None:
        return None
    engine = services.engine
    return lambda answer: with_live_state(answer, engine)
