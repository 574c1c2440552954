"""Slash commands, action ids and callback ids, shared by renderers and listeners.

`tests/unit/test_manifest.py` checks these against `app.yaml` and the registered listeners.
"""

from __future__ import annotations

from typing import Final

WHOOWNS_COMMAND: Final = "/whoowns"
DEMARC_COMMAND: Final = "/demarc"

SHARE_ANSWER_ACTION: Final = "demarc.answer.share"
SNOOZE_ALERT_ACTION: Final = "demarc.alert.snooze"

APP_MENTION_EVENT: Final = "app_mention"

COMMANDS: Final = frozenset({DEMARC_COMMAND, WHOOWNS_COMMAND})
ACTIONS: Final = frozenset({SHARE_ANSWER_ACTION, SNOOZE_ALERT_ACTION})
# Rendered already, listener not written yet; move each to ACTIONS with its listener (a test
# fails while an id is in both places or in neither).
PENDING_ACTIONS: Final[frozenset[str]] = frozenset()
EVENTS: Final = frozenset({APP_MENTION_EVENT})
