"""`/demarc reload` (admins): reload the registry now; the answer lists errors with file:line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.registry.holder import RegistryHolder
from bot.registry.reload import render_refusal
from bot.slack.listeners.lazy import Listener
from bot.slack.listeners.requests import handle_request_command
from bot.slack.listeners.subscriptions import VERBS, handle_subscription_command

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock


def utc_now() -> datetime:
    return datetime.now(UTC)


USAGE = (
    "Usage: `/demarc reload` reloads the ownership registry (admins only); "
    "`/demarc subscribe ASSET` and `/demarc unsubscribe ASSET` follow an asset by DM; "
    "`/demarc request [SOURCE]` asks Data Eng for data (a data contract)."
)
MAX_LISTED = 15


def is_admin(user_id: str, holder: RegistryHolder, services: Services | None) -> bool:
    admins = set(holder.registry.admins)
    if services is not None:
        admins |= set(services.admins)
    return user_id in admins


def _refusal(command: dict[str, Any], holder: RegistryHolder, services: Services | None) -> str:
    """Why this `/demarc` is not a reload by an admin ("" when it is)."""
    if str(command.get("text", "")).split()[:1] != ["reload"]:
        return USAGE
    if not is_admin(str(command.get("user_id", "")), holder, services):
        return (
            "Only demarc admins can reload the registry "
            "(DEMARC_ADMINS, or `admins:` in the registry)."
        )
    return ""


def _subscription_words(command: dict[str, Any]) -> list[str]:
    words = str(command.get("text", "")).split()
    return words if words[:1] and words[0] in VERBS else []


def _request_words(command: dict[str, Any]) -> list[str]:
    words = str(command.get("text", "")).split()
    return words if words[:1] == ["request"] else []


def make_demarc_handler(
    holder: RegistryHolder, services: Services | None, clock: Clock = utc_now
) -> Listener:
    def ack_demarc_command(ack: Ack, command: dict[str, Any]) -> None:
        if _subscription_words(command) or _request_words(command):
            ack()  # answered after the ack (the database)
            return
        text = _refusal(command, holder, services) or "Reloading the registry…"
        ack(response_type="ephemeral", text=text)

    def handle_demarc_command(
        command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        if words := _request_words(command):
            handle_request_command(words, command, respond, client, holder=holder,
                                   services=services)
            return
        if words := _subscription_words(command):
            handle_subscription_command(
                words, command, respond, client, services=services, holder=holder, clock=clock
            )
            return
        if _refusal(command, holder, services):
            return  # answered in the ack
        reloader = services.reloader if services is not None else None
        problems = reloader.reload("/demarc reload") if reloader else holder.reload()
        errors = [p for p in problems if p.is_error]
        if not errors:
            registry = holder.registry
            respond(
                response_type="ephemeral",
                replace_original=True,
                text=f"Registry reloaded: {len(registry.teams)} teams, "
                f"{len(registry.assets)} assets, {len(registry.contracts)} contracts, "
                f"{len(problems)} warning(s).",
            )
            return
        respond(
            response_type="ephemeral",
            replace_original=True,
            text=render_refusal(problems, MAX_LISTED),
        )

    return Listener(ack_demarc_command, handle_demarc_command)
