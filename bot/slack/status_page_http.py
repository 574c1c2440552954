"""The status page's HTTP side: off unless configured; a secret token (bearer header or
`?token=`, compared in constant time) or, in proxy mode, the operator's proxy decides."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)

STATUS_PATH = "/status"
# Nothing but the page itself: no script, no fetch, inline styles; the token stays here.
HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]


Answer = tuple[str, str, list[tuple[str, str]]]


class StatusPage:
    def __init__(self, render: Callable[[], str], token: str | None) -> None:
        self._render = render
        self._token = token.encode() if token else None  # None: behind the operator's proxy

    def answer(self, environ: WSGIEnvironment, method: str) -> Answer:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "Method Not Allowed", [("Allow", "GET")]
        if not self._authorised(environ):
            return "401 Unauthorized", "Unauthorized: open /status?token=<DEMARC_STATUS_TOKEN>", []
        try:
            return "200 OK", self._render(), HEADERS
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("status page failed (ref %s)", ref)
            return "500 Internal Server Error", f"Status page failed (ref {ref})", []

    def _authorised(self, environ: WSGIEnvironment) -> bool:
        if self._token is None:
            return True
        scheme, _, given = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        if scheme.lower() != "bearer" or not given:
            given = (parse_qs(str(environ.get("QUERY_STRING", ""))).get("token") or [""])[0]
        return bool(given) and hmac.compare_digest(given.strip().encode(), self._token)
