"""Subscribe and unsubscribe: the button under a `/whoowns` answer (and in the Home tab),
`/demarc subscribe ASSET` and `/demarc unsubscribe ASSET`. Answered ephemerally after the ack;
the person's Home tab is refreshed after each change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.blocks.escape import code, escape, truncate
from bot.blocks.subscriptions import subscribed_text, unsubscribed_text
from bot.registry.holder import RegistryHolder
from bot.slack.listeners.home import refresh_home
from bot.slack.listeners.lazy import Listener, after_ack
from bot.subscriptions.store import followed_by, subscribe, unsubscribe
from ownership.incident_plan import find_asset, suggest_assets

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.slack.listeners import Clock

NO_DATABASE = "Subscriptions need demarc's database, which this process has not got."
USAGE = "Usage: `/demarc subscribe customer_age` or `/demarc unsubscribe customer_age`."
VERBS = ("subscribe", "unsubscribe")


def change_subscription(
    services: Services | None,
    holder: RegistryHolder,
    clock: Clock,
    user: str,
    query: str,
    *,
    follow: bool,
) -> str:
    """Follow or stop following the asset `query` names; what to tell the person."""
    if services is None:
        return NO_DATABASE
    query = query.strip().strip("`")[:200]
    if not query:
        return USAGE
    registry = holder.registry
    asset = find_asset(registry, query)
    if not follow and (asset is None) and query in followed_by(services.engine, user):
        return unsubscribed_text(query, unsubscribe(services.engine, user, query))  # removed
    if asset is None:
        close = suggest_assets(registry, query)
        hint = f" Did you mean: {', '.join(escape(s) for s in close)}?" if close else ""
        return f"No asset called {code(truncate(query, 80))}.{hint}"
    if follow:
        return subscribed_text(asset.id, subscribe(services.engine, user, asset.id, clock()))
    return unsubscribed_text(asset.id, unsubscribe(services.engine, user, asset.id))


def handle_subscription_command(
    words: list[str],
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    *,
    services: Services | None,
    holder: RegistryHolder,
    clock: Clock,
) -> None:
    """`/demarc subscribe|unsubscribe ASSET` (after the ack)."""
    user = str(command.get("user_id", ""))
    text = change_subscription(
        services, holder, clock, user, " ".join(words[1:]), follow=words[0] == "subscribe"
    )
    respond(response_type="ephemeral", text=text)
    refresh_home(client, services, holder, clock, user)


def make_subscribe_handler(
    holder: RegistryHolder, clock: Clock, services: Services | None, *, follow: bool
) -> Listener:
    def handle_subscribe_action(
        action: dict[str, Any], body: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        user = str(body["user"]["id"])
        text = change_subscription(
            services, holder, clock, user, str(action.get("value", "")), follow=follow
        )
        if body.get("response_url"):  # a message; the Home tab has none, and shows the change
            respond(text=text, response_type="ephemeral", replace_original=False)
        refresh_home(client, services, holder, clock, user, notice=text)

    return after_ack(handle_subscribe_action)
