"""HTTP: Slack's requests go to Bolt, `/healthz` answers load balancers, anything else is 404.

Served by waitress, a production WSGI server (Bolt's `app.start()` is for development only).
A request to `/slack/events` reaches Bolt only if its Slack signature checks out here first
(`bot/slack/verification.py`); anything else gets 401 and causes nothing.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.ops.logs import context_id, new_id
from bot.ops.metrics import Metrics
from bot.registry.gate import AnswerGate
from bot.slack.status_api import CONTRACTS_PATH, StatusApi
from bot.slack.status_page_http import STATUS_PATH, StatusPage
from bot.slack.verification import RequestSignature

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
REFUSED = '{"error": "invalid request"}'  # what Bolt answers to a bad signature
MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; a view submission stays well under this

HealthCheck = Callable[[], dict[str, Any]]
ContractStatusReader = Callable[[str], "dict[str, Any] | None"]


def _ok() -> dict[str, Any]:
    return {"status": "ok"}


class WebApp:
    """The WSGI application: a small router in front of Bolt's WSGI adapter.

    Every request gets an id (X-Request-Id, or a new one) that log lines carry, and its
    latency is recorded for /metrics; with a `gate`, a registry reload gives way to it.
    Without a Bolt app (Socket Mode) it serves only /healthz and /metrics.
    """

    def __init__(
        self,
        app: App | None,
        *,
        signing_secret: str = "",
        health: HealthCheck = _ok,
        metrics: Metrics | None = None,
        contract_status: ContractStatusReader | None = None,
        api_token: str | None = None,
        status_page: StatusPage | None = None,
        gate: AnswerGate | None = None,
    ) -> None:
        if app is not None and not signing_secret:
            raise ValueError("serving Slack's requests needs the signing secret")
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH) if app is not None else None
        self._signature = RequestSignature(signing_secret) if app is not None else None
        self._health = health
        self._metrics = metrics
        # The status API is served only with both a reader and a token (docs/slack-surfaces.md).
        self._api = StatusApi(contract_status, api_token) if contract_status and api_token else None
        self._status_page = status_page  # off unless configured (docs/reports.md)
        self._gate = gate  # the registry holder's: a reload gives way while this answers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        rid = str(environ.get("HTTP_X_REQUEST_ID") or new_id())[:64]
        token = context_id.set(rid)
        start = time.perf_counter()
        try:
            if self._gate is None:
                return self._route(environ, start_response)
            with self._gate.answering():  # every route returns its whole body: it is done
                return self._route(environ, start_response)
        finally:
            context_id.reset(token)
            if self._metrics is not None:
                route = path if path in (EVENTS_PATH, HEALTH_PATH, METRICS_PATH) else "other"
                self._metrics.request_seconds.labels(route).observe(time.perf_counter() - start)

    def _route(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST" and self._slack is not None:
            return self._events(environ, start_response)
        if path == METRICS_PATH and method == "GET" and self._metrics is not None:
            return _reply(
                start_response,
                "200 OK",
                self._metrics.render().decode(),
                "text/plain; version=0.0.4",
            )
        if path.startswith(CONTRACTS_PATH) and self._api is not None:
            status, body, headers = self._api.answer(environ, path, method)
            return _reply(start_response, status, json.dumps(body), "application/json", headers)
        if path == STATUS_PATH and self._status_page is not None:
            status, page, headers = self._status_page.answer(environ, method)
            return _reply(start_response, status, page, "text/html", headers)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            body = self._health()
            status = "200 OK" if body.get("status") == "ok" else "503 Service Unavailable"
            return _reply(start_response, status, json.dumps(body), "application/json")
        known = (HEALTH_PATH, METRICS_PATH) + ((EVENTS_PATH,) if self._slack else ())
        if path in known:
            return _reply(start_response, "405 Method Not Allowed", "Method Not Allowed")
        return _reply(start_response, "404 Not Found", "Not Found")

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Check the signature on the raw body, then hand Bolt the same bytes."""
        assert self._slack is not None
        assert self._signature is not None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return _reply(start_response, "413 Content Too Large", "Payload Too Large")
        body = environ["wsgi.input"].read(length) if length else b""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if not self._signature.is_valid(body, timestamp, signature):
            log.info("Refused a request without a valid Slack signature")
            return _reply(start_response, "401 Unauthorized", REFUSED, "application/json")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return list(self._slack(environ, start_response))


def _reply(
    start_response: StartResponse,
    status: str,
    text: str,
    content_type: str = "text/plain",
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    data = text.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", f"{content_type}; charset=utf-8"),
            ("Content-Length", str(len(data))),
            *(headers or []),
        ],
    )
    return [data]
