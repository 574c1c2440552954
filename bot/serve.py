"""`demarc serve`: settings, registry, database, scheduler, outbox, then HTTP or Socket Mode."""

from __future__ import annotations

import logging
import os
import sys

from bot.settings import Settings, SettingsError

log = logging.getLogger("demarc")


def serve(port: int | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    from bot.app import create_app
    from bot.db.dedupe import SqlEventDeduper
    from bot.registry_holder import RegistryHolder
    from bot.runtime import build_services, outbox_client
    from ownership.errors import RegistryInvalid

    try:
        holder = RegistryHolder.from_path(settings.registry_path)
    except RegistryInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"{settings.registry_path}: fix the registry (demarc validate "
            f"{settings.registry_path})",
            file=sys.stderr,
        )
        return 1
    services = build_services(
        holder,
        settings.database_url,
        outbox_client(settings.slack_bot_token, settings.slack_api_url),
    )
    app = create_app(settings, holder, services=services, deduper=SqlEventDeduper(services.engine))
    services.start()
    log.info("demarc started: %s", settings)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            from bot.web import serve_http

            serve_http(app, "0.0.0.0", port or settings.port)  # noqa: S104 - a server
    except KeyboardInterrupt:
        pass
    finally:
        services.stop()
    return 0
