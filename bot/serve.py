"""`demarc serve`: settings, registry, database, scheduler, outbox, reload, then HTTP or Socket
Mode. HTTP runs under waitress with /slack/events, /healthz and /metrics."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from bot.settings import Settings, SettingsError

log = logging.getLogger("demarc")


def serve(port: int | None = None) -> int:
    from bot import logs

    logs.configure(
        os.environ.get("LOG_LEVEL", "INFO"),
        json_lines=os.environ.get("DEMARC_LOG_FORMAT", "json") == "json",
    )
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    from bot.app import create_app
    from bot.coordination import SingleReplicaOnly
    from bot.db.dedupe import SqlEventDeduper
    from bot.metrics import Metrics
    from bot.registry_holder import RegistryHolder
    from bot.reload import Reloader
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
    services.admins = settings.admins
    services.outbox.admin_channel = settings.admin_channel  # told about dead letters
    reloader = Reloader(
        holder,
        services.engine,
        services.clock,
        settings.admin_channel,
        on_change=lambda: _rebuild(services),
    )
    services.reloader = reloader
    try:
        services.start()
    except SingleReplicaOnly as exc:
        print(str(exc), file=sys.stderr)
        services.stop()
        return 2
    if threading.current_thread() is threading.main_thread():

        def _on_hup(_signum: int, _frame: FrameType | None) -> None:
            threading.Thread(target=reloader.reload, args=("SIGHUP",), daemon=True).start()

        signal.signal(signal.SIGHUP, _on_hup)
        signal.signal(signal.SIGTERM, _on_term)
    stop_polling = threading.Event()
    if settings.reload_interval > 0:
        threading.Thread(
            target=reloader.poll,
            args=(stop_polling, settings.reload_interval),
            name="registry-poll",
            daemon=True,
        ).start()
    app = create_app(settings, holder, services=services, deduper=SqlEventDeduper(services.engine))
    log.info("demarc started as replica %s: %s", services.replica_id, settings)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            from bot.web import serve_http

            metrics = Metrics(services.engine, services.clock)
            host = os.environ.get("DEMARC_HOST", "0.0.0.0")  # noqa: S104 - it is a server
            serve_http(
                app,
                host,
                port or settings.port,
                health=services.healthy,
                metrics=metrics,
            )
    except KeyboardInterrupt:
        pass
    finally:
        stop_polling.set()
        services.stop()
        log.info("demarc stopped")
    return 0


def _rebuild(services: object) -> None:
    scheduler = getattr(services, "scheduler", None)
    if scheduler is not None:
        scheduler.rebuild()


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds into serve()'s finally: stop threads, unregister
