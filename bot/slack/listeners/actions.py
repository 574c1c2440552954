"""Block actions: "Share in channel" posts the answer for everyone and removes the ephemeral.

Both are acknowledged at once; the work (Slack calls, the database) happens after the ack.
"""

from __future__ import annotations

import re
from logging import Logger
from typing import TYPE_CHECKING, Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.answers import render_answer, render_answer_text
from bot.freshness.snooze import snooze_alert
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.commands import parse_query
from bot.slack.listeners.lazy import Listener, after_ack
from bot.slack.listeners.oncall import answer_registry
from ownership.answers import who_owns

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock

# "<alert id>:<minutes>", as the alert's snooze select renders its options (9 digits fit the
# 32-bit alerts.id column; 6 are more minutes than the 7-day cap).
SNOOZE_VALUE = re.compile(r"(?P<alert>[0-9]{1,9}):(?P<minutes>[0-9]{1,6})")

# chat.postMessage errors that mean "demarc may not post here", which the user can fix.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})
CANNOT_POST_TEXT = (
    "I can't post in this conversation. Invite me with `/invite @demarc` and press the"
    " button again, or copy the answer."
)


def sharer_name(user: dict[str, Any]) -> str:
    """The sharer's name as Slack sent it (text, never a mention)."""
    return str(user.get("name") or user.get("username") or "someone")


def make_share_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None = None
) -> Listener:
    def handle_share_answer_action(
        action: dict[str, Any],
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
        logger: Logger,
    ) -> None:
        query = parse_query(str(action.get("value", "")))
        now = clock()
        answer = who_owns(answer_registry(services, holder.registry, now), query, now)
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        try:
            client.chat_postMessage(
                channel=channel,
                text=render_answer_text(answer),
                blocks=render_answer(
                    answer,
                    query=query,
                    shared_by=sharer_name(body["user"]),
                    pageable=services is not None,
                ),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            if error.response.get("error") not in CANNOT_POST:
                raise
            respond(text=CANNOT_POST_TEXT, response_type="ephemeral", replace_original=False)
            return
        reply = respond(delete_original=True)
        if reply.status_code != 200:
            logger.warning("Could not delete the ephemeral answer (HTTP %s)", reply.status_code)

    return after_ack(handle_share_answer_action)


def make_snooze_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None
) -> Listener:
    def handle_snooze_alert_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        if services is None:
            respond(
                text="Snoozing needs demarc's database, which this process has not got.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        value = str((action.get("selected_option") or {}).get("value", ""))
        # ASCII digits of sane length only: str.isdigit() takes "²", which int() refuses, and
        # a huge number overflows the database integer or timedelta instead of being refused.
        choice = SNOOZE_VALUE.fullmatch(value)
        if choice is None:
            respond(
                text="That snooze choice is not valid.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        text = snooze_alert(
            services.engine,
            holder.registry,
            int(choice["alert"]),
            int(choice["minutes"]),
            body["user"]["id"],
            clock(),
        )
        respond(text=text, response_type="ephemeral", replace_original=False)

    return after_ack(handle_snooze_alert_action)
