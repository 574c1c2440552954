"""The contract status API's HTTP side: bearer token (compared in constant time), routing,
and JSON errors; never a traceback."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)

CONTRACTS_PATH = "/api/v1/contracts/"
MAX_ID = 200
Answer = tuple[str, dict[str, Any], list[tuple[str, str]]]


class StatusApi:
    def __init__(self, read: Callable[[str], dict[str, Any] | None], token: str) -> None:
        self._read = read
        self._token = token.encode()

    def answer(self, environ: WSGIEnvironment, path: str, method: str) -> Answer:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", {"error": "method not allowed"}, [("Allow", "GET")]
        if not self._authorised(str(environ.get("HTTP_AUTHORIZATION", ""))):
            return (
                "401 Unauthorized",
                {"error": "unauthorized: send Authorization: Bearer <DEMARC_API_TOKEN>"},
                [("WWW-Authenticate", 'Bearer realm="demarc"')],
            )
        contract_id = unquote(path.removeprefix(CONTRACTS_PATH))
        if not contract_id or len(contract_id) > MAX_ID or "/" in contract_id:
            return "404 Not Found", {"error": "no such contract"}, []
        try:
            document = self._read(contract_id)
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("contract status of %r failed (ref %s)", contract_id[:80], ref)
            return "500 Internal Server Error", {"error": "internal error", "ref": ref}, []
        if document is None:
            return "404 Not Found", {"error": f"no contract {contract_id[:80]!r}"}, []
        return "200 OK", document, [("Cache-Control", "no-store")]

    def _authorised(self, header: str) -> bool:
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        return hmac.compare_digest(given.strip().encode(), self._token)
