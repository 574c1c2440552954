"""The one Bolt error handler: a full log line with a short ref, and that ref for the user.

No exception text or stack trace ever goes to Slack. Requests no listener handles are
acknowledged (200) and ignored, so Slack neither shows an error nor retries them. An error
raised before a request passed signature verification gets 401 and nothing else: its body is
the attacker's, so nothing in it (channel, thread, response_url) is ever used.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from slack_bolt.context import BoltContext
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.verification import VERIFIED, is_verified

log = logging.getLogger(__name__)

ERROR_TEXT = "Something went wrong (ref {ref}). The on-call for demarc can look it up."


def new_ref() -> str:
    """Six hex characters: short enough to read out, enough to find one log line."""
    return secrets.token_hex(3)


def handle_unexpected_error(
    error: Exception,
    body: dict[str, Any],
    request: BoltRequest,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Log `error` with a ref and tell the user that ref where they will see it."""
    if not is_verified(request):
        log.warning("Refused an unverified request (%s)", type(error).__name__)
        return BoltResponse(status=401, body={"error": "invalid request"})
    if isinstance(error, BoltUnhandledRequestError):
        log.info("Acknowledged and ignored a request with no listener: %s", describe(body))
        return BoltResponse(status=200, body="")
    ref = new_ref()
    log.error("Unexpected error (ref %s) handling %s", ref, describe(body), exc_info=error)
    try:
        return _tell_user(ERROR_TEXT.format(ref=ref), body, request.context, response)
    except Exception:  # the user just won't hear about it; the log line above has the ref
        log.exception("Could not report error ref %s to Slack", ref)
        return None


def report_after_ack(error: Exception, body: dict[str, Any], context: BoltContext) -> None:
    """Like `handle_unexpected_error`, for work done after the ack (nothing left to answer)."""
    if not context.get(VERIFIED):  # lazy work only follows verified requests; be sure
        return
    ref = new_ref()
    log.error("Unexpected error (ref %s) handling %s", ref, describe(body), exc_info=error)
    try:
        _tell_user(ERROR_TEXT.format(ref=ref), body, context, None)
    except Exception:
        log.exception("Could not report error ref %s to Slack", ref)


def _tell_user(
    text: str, body: dict[str, Any], context: BoltContext, response: BoltResponse | None
) -> BoltResponse | None:
    """Where the user will see it: the mention's thread, the ack, or the response URL."""
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        if event.get("type") == "app_mention" and context.client is not None:
            context.client.chat_postMessage(
                channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], text=text
            )
        return None
    if "command" in body and response is not None:  # not acknowledged yet: answer in the ack
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    respond = context.respond if context.response_url else None
    if respond is not None:  # only ever an allowed (Slack) URL: see bot/slack/verification.py
        respond(text=text, response_type="ephemeral", replace_original=False)
    return BoltResponse(status=200, body="") if response is not None else None


def describe(body: dict[str, Any]) -> str:
    """What the request was, without user text: "event app_mention", "command /whoowns", …"""
    kind = str(body.get("type") or ("slash_command" if "command" in body else "unknown"))
    if kind == "event_callback":
        event = body.get("event") or {}
        return f"event {event.get('type')} ({body.get('event_id')})"
    if "command" in body:
        return f"command {body.get('command')}"
    if kind == "block_actions":
        actions = ",".join(str(a.get("action_id")) for a in body.get("actions") or [])
        return f"block_actions {actions}"
    return kind
