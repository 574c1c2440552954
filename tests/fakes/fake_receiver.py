"""A webhook receiver on 127.0.0.1 (port 0) that checks demarc's signature the way a
receiver would, written from the documented scheme (not from demarc's code), and fails on cue."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    signature_ok: bool
    answered: int


class FakeReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._fail: list[int] = []
        self.fail_always = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FakeReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/demarc"

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        with self._lock:
            self._fail.extend([status] * times)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def check(self, raw: bytes, headers: dict[str, str]) -> bool:
        timestamp = headers.get("x-demarc-request-timestamp", "")
        base = b"v1:" + timestamp.encode() + b":" + raw
        expected = "v1=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("x-demarc-signature", ""))

    def _answer(self, raw: bytes, headers: dict[str, str]) -> int:
        ok = self.check(raw, headers)
        with self._lock:
            if self.fail_always:
                status = 503
            elif self._fail:
                status = self._fail.pop(0)
            else:
                status = 204 if ok else 401
            self._received.append(Received(headers, json.loads(raw), raw, ok, status))
        return status


def _handler_for(fake: FakeReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = fake._answer(raw, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
