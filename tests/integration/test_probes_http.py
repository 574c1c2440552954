"""The HTTP probe against a real local server: JSON paths, headers, failures and timeouts."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from bot.probes import HttpProber, ProbeResult
from ownership.model import HttpProbe

STAMP = datetime(2024, 5, 2, 9, 45, 12, tzinfo=UTC)
TOKEN = "Bearer tok-Sup3rS3cret"


@dataclass
class Server:
    base: str
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _routes(server: Server) -> dict[str, tuple[int, dict[str, str], bytes]]:
    def as_json(doc: object) -> bytes:
        return json.dumps(doc).encode()

    ctype = {"Content-Type": "application/json"}
    return {
        "/json": (200, ctype, as_json({"data": [{"updated_at": "2024-05-02T09:45:12Z"}]})),
        "/offset": (200, ctype, as_json({"ts": "2024-05-02T11:45:12+02:00"})),
        "/epoch": (200, ctype, as_json({"meta": {"epoch": STAMP.timestamp()}})),
        "/null": (200, ctype, as_json({"updated_at": None})),
        "/garbage-stamp": (200, ctype, as_json({"updated_at": "last tuesday"})),
        "/object-stamp": (200, ctype, as_json({"updated_at": {"at": 1}})),
        "/last-modified": (200, {"Last-Modified": "Thu, 02 May 2024 09:45:12 GMT"}, b""),
        "/bad-last-modified": (200, {"Last-Modified": "soon"}, b""),
        "/error": (500, ctype, b'{"error": "boom"}'),
        "/invalid": (200, ctype, b'{"data": [1, 2'),
        "/redirect": (302, {"Location": f"{server.base}/json"}, b""),
    }


@pytest.fixture(scope="module")
def _running_server() -> Iterator[Server]:
    state = Server(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen_headers.append({k.lower(): v for k, v in self.headers.items()})
            status, headers, body = _routes(state).get(self.path, (404, {}, b"not found"))
            if self.path == "/slow":
                state.release.wait(timeout=5)
                status, body = 200, b'{"updated_at": "2024-05-02T09:45:12Z"}'
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(_running_server: Server) -> Iterator[Server]:
    """The shared server with a clean request log; slow requests are released afterwards."""
    _running_server.seen_headers.clear()
    _running_server.release = threading.Event()
    yield _running_server
    _running_server.release.set()


@pytest.fixture
def prober() -> Iterator[HttpProber]:
    with HttpProber({"API_TOKEN": TOKEN}, timeout=2.0) as p:
        yield p


def probe(
    prober: HttpProber,
    server: Server,
    path: str,
    stamp: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> ProbeResult:
    return prober.probe(HttpProbe(f"{server.base}{path}", stamp, headers))


def assert_recent_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.utcoffset() == timedelta(0)
    assert abs(moment - datetime.now(UTC)) < timedelta(minutes=5)


def test_nested_json_path_with_list_index(prober: HttpProber, server: Server) -> None:
    result = probe(prober, server, "/json", "json:data.0.updated_at")
    assert result.ok, result.error
    assert result.last_update == STAMP
    assert result.last_update is not None
    assert result.last_update.utcoffset() == timedelta(0)
    assert_recent_utc(result.source_now)  # the server's Date header
    assert timedelta(0) < result.duration < timedelta(seconds=2)


@pytest.mark.parametrize(("path", "stamp"), [("/offset", "json:ts"), ("/epoch", "json:meta.epoch")])
def test_offsets_and_epoch_seconds(
    prober: HttpProber, server: Server, path: str, stamp: str
) -> None:
    assert probe(prober, server, path, stamp).last_update == STAMP


def test_last_modified_header(prober: HttpProber, server: Server) -> None:
    result = probe(prober, server, "/last-modified", "header:Last-Modified")
    assert result.ok, result.error
    assert result.last_update == STAMP


def test_json_null_is_no_data(prober: HttpProber, server: Server) -> None:
    result = probe(prober, server, "/null", "json:updated_at")
    assert result.ok
    assert result.last_update is None


@pytest.mark.parametrize(
    ("path", "stamp", "error"),
    [
        ("/error", "json:updated_at", "HTTP 500 Internal Server Error"),
        ("/redirect", "json:data.0.updated_at", "HTTP 302 Found"),
        ("/invalid", "json:data", "response is not valid JSON"),
        ("/json", "json:data.0.missing", "field data.0.missing not found (no 'missing' at data.0)"),
        ("/json", "json:data.3.updated_at", "field data.3.updated_at not found (data has 1 items)"),
        (
            "/json",
            "json:data.first",
            "field data.first not found (data is a list, 'first' no index)",
        ),
        ("/garbage-stamp", "json:updated_at", "field updated_at: cannot read timestamp"),
        ("/object-stamp", "json:updated_at", "field updated_at is a dict, not a time"),
        ("/json", "header:Last-Modified", "response has no Last-Modified header"),
        (
            "/bad-last-modified",
            "header:Last-Modified",
            "cannot read Last-Modified header as a date",
        ),
        ("/json", "xml:updated_at", "timestamp must be 'json:<field.path>' or 'header:<Name>'"),
    ],
)
def test_failures_are_results_not_exceptions(
    prober: HttpProber, server: Server, path: str, stamp: str, error: str
) -> None:
    result = probe(prober, server, path, stamp)
    assert not result.ok
    assert result.last_update is None
    assert result.error is not None
    assert result.error.startswith(error)


def test_slow_endpoint_times_out(server: Server) -> None:
    with HttpProber({}, timeout=0.2) as prober:
        began = time.monotonic()
        result = probe(prober, server, "/slow", "json:updated_at")
        took = time.monotonic() - began
    assert result.error == "timed out after 0.2 s"
    assert took < 2


def test_env_header_reaches_the_server_and_never_the_error(
    prober: HttpProber, server: Server
) -> None:
    headers = (("Authorization", "env:API_TOKEN"),)
    assert probe(prober, server, "/json", "json:data.0.updated_at", headers=headers).ok
    assert server.seen_headers[-1]["authorization"] == TOKEN
    failed = probe(prober, server, "/error", "json:x", headers=headers)
    assert failed.error is not None
    assert "Sup3rS3cret" not in failed.error


def test_missing_env_header_fails_before_any_request(prober: HttpProber, server: Server) -> None:
    headers = (("X-Api-Key", "env:NOT_SET"),)
    result = probe(prober, server, "/json", "json:data.0.updated_at", headers=headers)
    assert result.error == "environment variable NOT_SET is not set (header X-Api-Key)"
    assert server.seen_headers == []


@pytest.mark.parametrize("spec", ["literal-secret", "env:BAD_VALUE"])
def test_unusable_header_values_are_refused_without_echoing_them(server: Server, spec: str) -> None:
    with HttpProber({"BAD_VALUE": "tok\r\nX-Evil: 1"}) as prober:
        result = probe(prober, server, "/json", "json:x", headers=(("X-Api-Key", spec),))
    assert result.error is not None
    assert "literal-secret" not in result.error
    assert "X-Evil" not in result.error
    assert server.seen_headers == []


def test_connection_refused_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with HttpProber({}, timeout=2.0) as prober:
        result = prober.probe(HttpProbe(f"http://127.0.0.1:{port}/", "json:x"))
    assert result.error is not None
    assert result.error.startswith("request failed: ConnectError")


def test_injected_client_is_used_and_left_open(server: Server) -> None:
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]}) as client:
        with HttpProber({}, client=client) as prober:
            assert probe(prober, server, "/json", "json:data.0.updated_at").ok
        assert seen == [f"{server.base}/json"]
        assert not client.is_closed
