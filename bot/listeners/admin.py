"""`/demarc reload` (admins): reload the registry now; the answer lists errors with file:line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond

from bot.registry_holder import RegistryHolder
from bot.reload import render_refusal

if TYPE_CHECKING:
    from bot.listeners import Handler
    from bot.runtime import Services

USAGE = "Usage: `/demarc reload` reloads the ownership registry (admins only)."
MAX_LISTED = 15


def is_admin(user_id: str, holder: RegistryHolder, services: Services | None) -> bool:
    admins = set(holder.registry.admins)
    if services is not None:
        admins |= set(services.admins)
    return user_id in admins


def make_demarc_handler(holder: RegistryHolder, services: Services | None) -> Handler:
    def handle_demarc_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        words = str(command.get("text", "")).split()
        if words[:1] != ["reload"]:
            ack(response_type="ephemeral", text=USAGE)
            return
        if not is_admin(str(command.get("user_id", "")), holder, services):
            ack(
                response_type="ephemeral",
                text="Only demarc admins can reload the registry "
                "(DEMARC_ADMINS, or `admins:` in the registry).",
            )
            return
        ack(response_type="ephemeral", text="Reloading the registry…")
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

    return handle_demarc_command
