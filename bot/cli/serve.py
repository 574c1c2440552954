"""`demarc serve`: settings, the port, registry, database, scheduler, outbox, reload, then HTTP
or Socket Mode.

The port is bound first, so a port in use costs nothing (no check run, no row written). Both
modes serve /healthz and /metrics on it (HTTP mode also /slack/events), from their own threads.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from slack_bolt import App

from bot.api.contract_status import contract_status
from bot.bootstrap import Runtime, Services, build, outbox_client, start
from bot.cli.exit_codes import EXIT_OK, EXIT_USAGE
from bot.db.dedupe import SqlEventDeduper
from bot.db.leases import SingleReplicaOnly
from bot.ops import logs
from bot.ops.metrics import Metrics
from bot.registry.holder import RegistryHolder
from bot.reports.status_page import render_status_page
from bot.settings import Settings, SettingsError
from bot.slack.app import create_app, stop_listeners
from bot.slack.http_server import PortInUse, bind, make_server
from bot.slack.identity import SlackIdentity
from bot.slack.socket_mode import SocketModeRunner
from bot.slack.status_page_http import StatusPage
from bot.slack.web import WebApp
from ownership.errors import RegistryInvalid

log = logging.getLogger("demarc")


def serve(port: int | None = None, environ: Mapping[str, str] | None = None) -> int:
    """`environ` (default: the process's) is read once, here: settings, and the probes'
    connection variables."""
    environ = dict(os.environ if environ is None else environ)
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    logs.configure(settings.log_level, json_lines=settings.log_json)
    host = settings.host
    try:
        sock = bind(host, settings.port if port is None else port)
    except PortInUse as exc:
        print(f"demarc serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    log.info("listening on %s:%d", host, sock.getsockname()[1])
    try:
        return _run(settings, sock, environ)
    finally:
        sock.close()


def _run(settings: Settings, sock: socket.socket, environ: Mapping[str, str]) -> int:
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
        return EXIT_USAGE
    services = build(
        settings,
        slack_client=outbox_client(settings.slack_bot_token, settings.slack_api_url),
        environ=environ,
        holder=holder,
    )
    try:
        runtime = start(services)
    except SingleReplicaOnly as exc:
        print(str(exc), file=sys.stderr)
        services.close()
        return EXIT_USAGE
    reloader = services.reloader
    if threading.current_thread() is threading.main_thread():

        def _on_hup(_signum: int, _frame: FrameType | None) -> None:
            threading.Thread(target=reloader.reload, args=("SIGHUP",), daemon=True).start()

        signal.signal(signal.SIGHUP, _on_hup)
        signal.signal(signal.SIGTERM, _on_term)
    identity = SlackIdentity(settings.slack_bot_token, settings.slack_api_url)
    identity.start()
    app = create_app(
        settings,
        holder,
        services=services,
        deduper=SqlEventDeduper(services.engine),
        identity=identity,
    )
    log.info("demarc started as replica %s: %s", services.replica_id, settings)
    socket_mode: SocketModeRunner | None = None
    try:
        if settings.slack_app_token:
            socket_mode = SocketModeRunner(app, settings.slack_app_token)
            socket_mode.start()
        _serve_http(settings, sock, app, runtime, identity, socket_mode)
    except KeyboardInterrupt:
        pass
    finally:
        if socket_mode is not None:
            socket_mode.stop()
        stop_listeners(app)
        identity.stop()
        runtime.stop()
        log.info("demarc stopped")
    return EXIT_OK


def _serve_http(
    settings: Settings,
    sock: socket.socket,
    app: App,
    runtime: Runtime,
    identity: SlackIdentity,
    socket_mode: SocketModeRunner | None,
) -> None:
    """Serve until interrupted: Slack's requests in HTTP mode; health and metrics in both."""
    web = WebApp(
        None if socket_mode is not None else app,
        signing_secret=settings.slack_signing_secret,
        health=health_check(runtime.healthy, identity, socket_mode),
        metrics=Metrics(runtime.services.engine, runtime.services.clock),
        contract_status=status_reader(runtime.services),
        api_token=settings.api_token,  # the status API is off without it
        status_page=status_page(settings, runtime.services),
        gate=runtime.services.holder.gate,  # a registry reload gives way to answers in progress
    )
    make_server(web, sock).run()


def status_page(settings: Settings, services: Services) -> StatusPage | None:
    """The read-only status page at /status, if DEMARC_STATUS_PAGE turns it on."""
    if settings.status_page == "off":
        return None

    def render() -> str:
        return render_status_page(services.engine, services.holder.registry, services.clock())

    return StatusPage(render, settings.status_token)


def status_reader(services: Services) -> Callable[[str], dict[str, Any] | None]:
    """`GET /api/v1/contracts/{id}` answered from the live registry and the database."""

    def read(contract_id: str) -> dict[str, Any] | None:
        return contract_status(
            services.engine, services.holder.registry, contract_id, services.clock()
        )

    return read


def health_check(
    base: Callable[[], Mapping[str, object]],
    identity: SlackIdentity,
    socket_mode: SocketModeRunner | None = None,
) -> Callable[[], dict[str, Any]]:
    """/healthz: `base` (database, registry, threads) plus Slack's state.

    Slack's state is reported but never fails health: a restart cannot fix Slack, and the
    outbox keeps every message until Slack is back.
    """

    def health() -> dict[str, Any]:
        body: dict[str, Any] = dict(base())
        checks: dict[str, object] = dict(body.get("checks") or {})
        checks["slack"] = identity.status()
        if socket_mode is not None:
            checks["socket_mode"] = socket_mode.status()
        body["checks"] = checks
        return body

    return health


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds into serve()'s finally: stop threads, unregister
