"""`/ack [contract] 05:30` and the alert's "Ack with ETA" menu: an ETA on a late alert.

Usage problems are answered in the ack; recording the ETA (and moving every downstream
warning) happens after it, answered ephemerally to whoever gave it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond

from bot.blocks.escape import unescape
from bot.freshness.etas import give_eta
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.lazy import Listener, after_ack
from ownership.errors import InvalidValue
from ownership.foresight import parse_eta

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock

USAGE = (
    "Give an ETA on a late alert: `/ack 05:30` (UTC; in the alert's channel), "
    "`/ack customer_master_db 05:30 Europe/Berlin` or `/ack customer_master_db in 2h`."
)
NO_DATABASE = "ETAs need demarc's database, which this process has not got."
ETA_VALUE = re.compile(r"(?P<alert>[0-9]{1,9}):(?P<minutes>[0-9]{1,5})")
MAX_TEXT = 200


def parse_ack(text: str, contracts: set[str]) -> tuple[str | None, str]:
    """ "customer_master_db 05:30" → ("customer_master_db", "05:30"); "05:30" → (None, …)."""
    words = unescape(text[:MAX_TEXT]).split()
    if words and words[0].strip("`") in contracts:
        return words[0].strip("`"), " ".join(words[1:])
    return None, " ".join(words)


def make_ack_handler(holder: RegistryHolder, clock: Clock, services: Services | None) -> Listener:
    def _parsed(command: dict[str, Any]) -> tuple[str | None, str]:
        return parse_ack(str(command.get("text", "")), set(holder.registry.contracts))

    def ack_ack_command(ack: Ack, command: dict[str, Any]) -> None:
        if services is None:
            ack(response_type="ephemeral", text=NO_DATABASE)
            return
        _, when = _parsed(command)
        try:
            parse_eta(when, clock())
        except InvalidValue as exc:
            ack(response_type="ephemeral", text=f"{exc}. {USAGE}" if when else USAGE)
            return
        ack()

    def handle_ack_command(command: dict[str, Any], respond: Respond) -> None:
        if services is None:
            return
        contract, when = _parsed(command)
        now = clock()
        try:
            eta = parse_eta(when, now)
        except InvalidValue:
            return  # answered in the ack
        channel = (str(command.get("channel_id", "")), f"#{command.get('channel_name', '')}")
        text = give_eta(services.engine, holder.registry, None, eta,
                        str(command.get("user_id", "")), now, contract_id=contract,
                        channel=channel)  # fmt: skip
        respond(text=text, response_type="ephemeral")

    return Listener(ack_ack_command, handle_ack_command)


def make_eta_action_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None
) -> Listener:
    def handle_eta_alert_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond
    ) -> None:
        if services is None:
            respond(text=NO_DATABASE, response_type="ephemeral", replace_original=False)
            return
        value = str((action.get("selected_option") or {}).get("value", ""))
        choice = ETA_VALUE.fullmatch(value)
        if choice is None or not 0 < int(choice["minutes"]) <= 7 * 24 * 60:
            respond(text="That ETA choice is not valid.", response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        now = clock()
        eta = parse_eta(f"{choice['minutes']} min", now)
        text = give_eta(services.engine, holder.registry, int(choice["alert"]), eta,
                        str(body["user"]["id"]), now)  # fmt: skip
        respond(text=text, response_type="ephemeral", replace_original=False)

    return after_ack(handle_eta_alert_action)
