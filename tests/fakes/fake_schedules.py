"""Fake schedule servers on 127.0.0.1 (port 0) in the real APIs' shapes: PagerDuty's
`/oncalls` and `/schedules/{id}/users`, Opsgenie's `/v2/schedules/{id}/on-calls`, and an
iCalendar feed. `down()` makes every answer a 503; requests are recorded with their headers."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ICAL = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//demarc tests//EN
BEGIN:VEVENT
UID:weekly-1@test
DTSTART;TZID=Europe/Berlin:20260302T090000
DTEND;TZID=Europe/Berlin:20260309T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:On call: Farah Haddad
ATTENDEE:mailto:farah@company.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-2@test
DTSTART;TZID=Europe/Berlin:20260309T090000
DTEND;TZID=Europe/Berlin:20260316T090000
RRULE:FREQ=WEEKLY;INTERVAL=2
SUMMARY:On call: Gustavo Lima
END:VEVENT
END:VCALENDAR
"""


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class FakeSchedules:
    oncalls: list[dict[str, Any]] = field(default_factory=list)  # PagerDuty /oncalls entries
    opsgenie: list[str] = field(default_factory=list)  # Opsgenie on-call recipients (emails)
    ical: str = ICAL
    seen: list[Seen] = field(default_factory=list)
    _down: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> FakeSchedules:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def down(self) -> None:
        self._down.set()

    def up(self) -> None:
        self._down.clear()

    def answer(self, path: str) -> tuple[int, str, str]:
        if self._down.is_set():
            return 503, "application/json", json.dumps({"error": {"message": "down"}})
        if path == "/oncalls":
            return (
                200,
                "application/json",
                json.dumps({"oncalls": self.oncalls, "limit": 25, "offset": 0, "more": False}),
            )
        if path.startswith("/schedules/") and path.endswith("/users"):
            users = [o["user"] for o in self.oncalls[:1]]
            return 200, "application/json", json.dumps({"users": users})
        if path.startswith("/v2/schedules/") and path.endswith("/on-calls"):
            sid = path.split("/")[3]
            return (
                200,
                "application/json",
                json.dumps(
                    {
                        "data": {
                            "_parent": {"id": sid, "name": "MLOps", "enabled": True},
                            "onCallRecipients": self.opsgenie,
                        },
                        "took": 0.1,
                        "requestId": "req-1",
                    }
                ),
            )
        if path == "/feed.ics":
            return 200, "text/calendar", self.ical
        return 404, "application/json", json.dumps({"error": "not found"})


def _handler(fake: FakeSchedules) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.seen.append(
                Seen(
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                )
            )
            status, kind, text = fake.answer(parts.path)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
