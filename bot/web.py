"""HTTP: Slack's requests go to Bolt, `/healthz` answers load balancers, anything else is 404.

Served by waitress, a production WSGI server (Bolt's `app.start()` is for development only).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import serve
from waitress.server import create_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from waitress.server import BaseWSGIServer, MultiSocketServer

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
THREADS = 8

HealthCheck = Callable[[], dict[str, Any]]


def _ok() -> dict[str, Any]:
    return {"status": "ok"}


class WebApp:
    """The WSGI application: a three-route router in front of Bolt's WSGI adapter."""

    def __init__(self, app: App, *, health: HealthCheck = _ok) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._health = health

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return self._slack(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            body = self._health()
            status = "200 OK" if body.get("status") == "ok" else "503 Service Unavailable"
            return _reply(start_response, status, json.dumps(body), "application/json")
        if path in (EVENTS_PATH, HEALTH_PATH):
            return _reply(start_response, "405 Method Not Allowed", "Method Not Allowed")
        return _reply(start_response, "404 Not Found", "Not Found")


def _reply(
    start_response: StartResponse, status: str, text: str, content_type: str = "text/plain"
) -> list[bytes]:
    data = text.encode("utf-8")
    start_response(
        status,
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def make_server(
    app: App, host: str = "127.0.0.1", port: int = 0, *, health: HealthCheck = _ok
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server, not yet running: call `.run()` (blocks) and later `.close()`."""
    return create_server(WebApp(app, health=health), host=host, port=port, threads=THREADS)


def serve_http(app: App, host: str, port: int, *, health: HealthCheck = _ok) -> None:
    """Serve until interrupted."""
    serve(WebApp(app, health=health), host=host, port=port, threads=THREADS)
