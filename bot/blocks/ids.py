"""Slash commands, action ids and callback ids, shared by renderers and listeners.

`tests/unit/test_manifest.py` checks these against `app.yaml` and the registered listeners.
"""

from __future__ import annotations

from typing import Final

WHOOWNS_COMMAND: Final = "/whoowns"
DEMARC_COMMAND: Final = "/demarc"
INCIDENT_COMMAND: Final = "/incident"
ONCALL_COMMAND: Final = "/oncall"
ACK_COMMAND: Final = "/ack"  # an ETA on a late alert: "/ack [contract] 05:30"

SHARE_ANSWER_ACTION: Final = "demarc.answer.share"
SNOOZE_ALERT_ACTION: Final = "demarc.alert.snooze"
ETA_ALERT_ACTION: Final = "demarc.alert.eta"  # value: "<alert id>:<minutes>"
OPEN_INCIDENT_ACTION: Final = "demarc.alert.open_incident"  # value: the alert id
ACKNOWLEDGE_INCIDENT_ACTION: Final = "demarc.incident.acknowledge"  # value: the incident id
ESCALATE_INCIDENT_ACTION: Final = "demarc.incident.escalate"
RESOLVE_INCIDENT_ACTION: Final = "demarc.incident.resolve"
NOTE_INCIDENT_ACTION: Final = "demarc.incident.note"
PAGE_ONCALL_ACTION: Final = "demarc.oncall.page"  # value: "<team id> <asked about>"
TAKE_SHIFT_ACTION: Final = "demarc.oncall.take"  # value: "<team id>"

RESOLVE_INCIDENT_VIEW: Final = "demarc.incident.resolve_modal"  # private_metadata: JSON
NOTE_INCIDENT_VIEW: Final = "demarc.incident.note_modal"

APP_MENTION_EVENT: Final = "app_mention"

# Subscriptions, the Home tab and the timeline shortcut (docs/slack-surfaces.md).
SUBSCRIBE_ACTION: Final = "demarc.asset.subscribe"  # value: the asset id
UNSUBSCRIBE_ACTION: Final = "demarc.asset.unsubscribe"  # value: the asset id
HOME_SEARCH_ACTION: Final = "demarc.home.search"  # a dispatching plain_text_input
HOME_ACKNOWLEDGE_ACTION: Final = "demarc.home.acknowledge"  # value: the incident id
HOME_OPEN_INCIDENT_ACTION: Final = "demarc.home.open_incident"  # value: the alert id
TIMELINE_SHORTCUT: Final = "demarc.incident.add_message"  # message shortcut callback id
TIMELINE_VIEW: Final = "demarc.incident.add_message_modal"  # private_metadata: JSON
APP_HOME_OPENED_EVENT: Final = "app_home_opened"
SURFACE_ACTIONS: Final = frozenset(
    {
        SUBSCRIBE_ACTION,
        UNSUBSCRIBE_ACTION,
        HOME_SEARCH_ACTION,
        HOME_ACKNOWLEDGE_ACTION,
        HOME_OPEN_INCIDENT_ACTION,
    }
)
SHORTCUTS: Final = frozenset({TIMELINE_SHORTCUT})

COMMANDS: Final = frozenset(
    {DEMARC_COMMAND, INCIDENT_COMMAND, WHOOWNS_COMMAND, ONCALL_COMMAND, ACK_COMMAND}
)
INCIDENT_ACTIONS: Final = frozenset(
    {
        OPEN_INCIDENT_ACTION,
        ACKNOWLEDGE_INCIDENT_ACTION,
        ESCALATE_INCIDENT_ACTION,
        RESOLVE_INCIDENT_ACTION,
        NOTE_INCIDENT_ACTION,
    }
)
ONCALL_ACTIONS: Final = frozenset({PAGE_ONCALL_ACTION, TAKE_SHIFT_ACTION})
# Data requests (issue 17, docs/requests.md).
REQUEST_DATA_ACTION: Final = "demarc.request.open"  # on an asset answer; value: the asset id
REQUEST_VIEW: Final = "demarc.request.modal"  # private_metadata: JSON {"channel": …}
ACCEPT_REQUEST_ACTION: Final = "demarc.request.accept"  # value: the request id
COUNTER_REQUEST_ACTION: Final = "demarc.request.counter"  # value: the request id
DECLINE_REQUEST_ACTION: Final = "demarc.request.decline"  # value: the request id
COUNTER_REQUEST_VIEW: Final = "demarc.request.counter_modal"  # private_metadata: JSON
DECLINE_REQUEST_VIEW: Final = "demarc.request.decline_modal"
REQUEST_ACTIONS: Final = frozenset(
    {REQUEST_DATA_ACTION, ACCEPT_REQUEST_ACTION, COUNTER_REQUEST_ACTION, DECLINE_REQUEST_ACTION}
)
REQUEST_VIEWS: Final = frozenset({REQUEST_VIEW, COUNTER_REQUEST_VIEW, DECLINE_REQUEST_VIEW})
ACTIONS: Final = (
    frozenset({SHARE_ANSWER_ACTION, SNOOZE_ALERT_ACTION, ETA_ALERT_ACTION})
    | INCIDENT_ACTIONS
    | SURFACE_ACTIONS
    | ONCALL_ACTIONS
    | REQUEST_ACTIONS
)
VIEWS: Final = (
    frozenset({RESOLVE_INCIDENT_VIEW, NOTE_INCIDENT_VIEW, TIMELINE_VIEW}) | REQUEST_VIEWS
)
# Rendered already, listener not written yet; move each to ACTIONS with its listener (a test
# fails while an id is in both places or in neither).
PENDING_ACTIONS: Final[frozenset[str]] = frozenset()
EVENTS: Final = frozenset({APP_MENTION_EVENT, APP_HOME_OPENED_EVENT})

