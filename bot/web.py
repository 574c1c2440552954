"""HTTP: Slack's requests go to Bolt, `/healthz` answers load balancers, anything else is 404.

Served by waitress, a production WSGI server (Bolt's `app.start()` is for development only).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import serve
from waitress.server import create_server

from bot.logs import context_id, new_id
from bot.metrics import Metrics

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from waitress.server import BaseWSGIServer, MultiSocketServer

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
THREADS = 8

HealthCheck = Callable[[], dict[str, Any]]


def _ok() -> dict[str, Any]:
    return {"status": "ok"}


class WebApp:
    """The WSGI application: a small router in front of Bolt's WSGI adapter.

    Every request gets an id (X-Request-Id, or a new one) that log lines carry, and its
    latency is recorded for /metrics.
    """

    def __init__(
        self, app: App, *, health: HealthCheck = _ok, metrics: Metrics | None = None
    ) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._health = health
        self._metrics = metrics

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        rid = str(environ.get("HTTP_X_REQUEST_ID") or new_id())[:64]
        token = context_id.set(rid)
        start = time.perf_counter()
        try:
            return self._route(environ, start_response)
        finally:
            context_id.reset(token)
            if self._metrics is not None:
                route = path if path in (EVENTS_PATH, HEALTH_PATH, METRICS_PATH) else "other"
                self._metrics.request_seconds.labels(route).observe(time.perf_counter() - start)

    def _route(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return list(self._slack(environ, start_response))
        if path == METRICS_PATH and method == "GET" and self._metrics is not None:
            return _reply(
                start_response,
                "200 OK",
                self._metrics.render().decode(),
                "text/plain; version=0.0.4",
            )
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            body = self._health()
            status = "200 OK" if body.get("status") == "ok" else "503 Service Unavailable"
            return _reply(start_response, status, json.dumps(body), "application/json")
        if path in (EVENTS_PATH, HEALTH_PATH, METRICS_PATH):
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
    app: App,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    health: HealthCheck = _ok,
    metrics: Metrics | None = None,
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server, not yet running: call `.run()` (blocks) and later `.close()`."""
    web = WebApp(app, health=health, metrics=metrics)
    return create_server(web, host=host, port=port, threads=THREADS)


def serve_http(
    app: App, host: str, port: int, *, health: HealthCheck = _ok, metrics: Metrics | None = None
) -> None:
    """Serve until interrupted."""
    serve(WebApp(app, health=health, metrics=metrics), host=host, port=port, threads=THREADS)
