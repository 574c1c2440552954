"""A fake Slack Web API on 127.0.0.1: records every request, answers like Slack, fails on cue.

Serves Web API methods at `/api/<method>` and response URLs at `/response/<id>`.
Optionally slow (`latency`: seconds before each answer) and rate limited like Slack
(`per_channel`: seconds between `chat.postMessage`/`chat.update` calls to one channel, else
HTTP 429 with `Retry-After`; `updates_per_minute`: the workspace's `chat.update` tier), on a
clock of the test's choosing (`clock`, seconds; every request records its arrival `at`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

RESPONSE_URL = "response_url"  # the `method` recorded for posts to a response URL
UPLOAD_URL = "upload_url"  # the `method` recorded for file bytes posted to an upload URL
BOT_USER_ID = "U0DEMARCBT"
BOT_ID = "B0DEMARCBT"
TEAM_ID = "T0TESTTEAM"


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    method: str  # Web API method ("chat.postMessage") or RESPONSE_URL
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: float = 0.0  # arrival, on the fake's clock

    @property
    def response_id(self) -> str | None:
        return self.path.removeprefix("/response/") if self.method == RESPONSE_URL else None


@dataclass(frozen=True)
class Failure:
    status: int = 500
    error: str | None = None  # answer 200 {"ok": false, "error": error} instead
    retry_after: int | None = None


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; point the app at `slack.base_url`."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        per_channel: float | None = None,
        updates_per_minute: int | None = None,
        tolerance: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.latency = latency
        self.limits = _Limits(per_channel, updates_per_minute, tolerance)
        self.allowed: list[RecordedRequest] = []  # posts and edits the limits let through
        self.limited: list[tuple[RecordedRequest, float]] = []  # 429s and their Retry-After
        self._gate: threading.Barrier | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._always: list[tuple[str, str | None, Failure]] = []
        self._ts = itertools.count(1)
        self._names: dict[str, str] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._groups: dict[str, list[str]] = {}  # user group id -> its users
        self._hanging = threading.Event()  # set: accept every request and never answer
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack"
        )

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, response_id: str) -> str:
        return f"{self.response_prefix}{response_id}"

    @property
    def response_prefix(self) -> str:
        """What the app's response_url allowlist must hold (DEMARC_RESPONSE_URL_PREFIXES)."""
        return f"{self.url}/response/"

    # -- scripting and inspection ----------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `method` fail: HTTP `status`, or 200 with `error`."""
        failure = Failure(200 if error else status, error, retry_after)
        with self._lock:
            self._failures[method].extend([failure] * times)

    def fail_always(
        self,
        method: str,
        *,
        contains: str | None = None,
        status: int = 500,
        error: str | None = None,
    ) -> None:
        """Every call of `method` (whose request body contains `contains`, if given) fails."""
        failure = Failure(200 if error else status, error)
        with self._lock:
            self._always.append((method, contains, failure))

    def hang(self) -> None:
        """From now on, accept every request (recorded) and never answer, until `release()`
        (called at exit): a Slack that hangs."""
        self._hanging.set()

    def gather(self, calls: int, timeout: float = 10.0) -> None:
        """Hold each of the next `calls` posts and edits until all of them have arrived (then
        answer them together): only a client that makes them at once gets answers; one making
        them one after the other gets 503s after `timeout`."""
        self._gate = threading.Barrier(calls, timeout=timeout)

    def release(self) -> None:
        """Let hanging requests go: each then gets 503, as from a Slack coming back."""
        self._released.set()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method]

    def responses(self, response_id: str | None = None) -> list[RecordedRequest]:
        """Posts to response URLs (all, or those of one id)."""
        return [
            r
            for r in self.calls(RESPONSE_URL)
            if response_id is None or r.response_id == response_id
        ]

    def texts(self) -> Iterator[str]:
        """Every text and block text that reached the fake, for "never said X" assertions."""
        for request in self.requests:
            yield json.dumps(request.body, ensure_ascii=False)

    # -- answering -------------------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> Failure | None:
        with self._lock:
            self._requests.append(request)
            for method, contains, failure in self._always:
                if method == request.method and (
                    contains is None or contains.encode() in request.raw
                ):
                    return failure
            queue = self._failures.get(request.method)
            if queue:
                return queue.popleft()
        return self._limit(request)

    def _limit(self, request: RecordedRequest) -> Failure | None:
        """Slack's limits, if configured: a 429 with `Retry-After`, or None (accepted)."""
        if not self.limits.configured or request.method not in ("chat.postMessage", "chat.update"):
            return None
        channel = self.channel_id(str(request.body.get("channel", "")))
        with self._lock:
            wait = self.limits.wait(request.method, channel, request.at)
            if wait is not None:
                self.limited.append((request, wait))
                return Failure(429, None, retry_after=max(1, math.ceil(wait)))
            self.limits.accept(request.method, channel, request.at)
            self.allowed.append(request)
        return None

    def spacing(self, channel: str) -> list[float]:
        """Seconds between consecutive accepted posts and edits to `channel`."""
        with self._lock:
            allowed = list(self.allowed)
        times = [r.at for r in allowed
                 if self.channel_id(str(r.body.get("channel", ""))) == self.channel_id(channel)]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    def _answer(self, request: RecordedRequest) -> dict[str, Any]:
        body = request.body
        if request.method == "auth.test":
            return {
                "ok": True,
                "url": "https://demarc-test.slack.com/",
                "team": "Test",
                "user": "demarc",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if request.method == "chat.postMessage":
            ts = self._next_ts()
            channel = self.channel_id(str(body.get("channel")))
            self._store(channel, ts, body)
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {
                    "type": "message",
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "text": body.get("text", ""),
                    "ts": ts,
                },
            }
        if request.method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if request.method in ("chat.update", "chat.delete"):
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if request.method == "conversations.list":
            with self._lock:
                names = dict(self._names)
            return {"ok": True, "channels": [{"id": i, "name": n} for n, i in names.items()],
                    "response_metadata": {"next_cursor": ""}}
        if request.method.startswith("usergroups."):
            return self._usergroups(request.method, body)
        if request.method in ("conversations.history", "conversations.replies"):
            return {"ok": True, "messages": self._history(request.method, body),
                    "has_more": False}
        return self._answer_files(request) or self._answer_surfaces(request) or {"ok": True}

    def _answer_files(self, request: RecordedRequest) -> dict[str, Any] | None:
        """Slack's external upload: an upload URL here, then the completion shares the file."""
        body = request.body
        if request.method == "files.getUploadURLExternal":
            file_id = "F" + self._next_ts().replace(".", "")[-9:]
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if request.method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return None

    def uploads(self) -> list[tuple[RecordedRequest, bytes]]:
        """Each completed upload with the bytes posted to its upload URL."""
        data = {r.path.removeprefix("/upload/"): r.raw for r in self.calls(UPLOAD_URL)}
        out = []
        for done in self.calls("files.completeUploadExternal"):
            files = done.body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            out += [(done, data.get(str(f["id"]), b"")) for f in files]
        return out

    def _answer_surfaces(self, request: RecordedRequest) -> dict[str, Any] | None:
        """views.publish / views.open, conversations.open and chat.getPermalink, as Slack."""
        body = request.body
        if request.method in ("views.publish", "views.open"):
            view = body.get("view")
            view = json.loads(view) if isinstance(view, str) else dict(view or {})
            return {"ok": True, "view": {**view, "id": f"V{next(self._ts):09d}",
                                         "hash": "1.fake"}}
        if request.method == "conversations.open":
            user = str(body.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": self.channel_id(user)}}
        if request.method == "chat.getPermalink":
            channel, ts = str(body.get("channel")), str(body.get("message_ts"))
            return {"ok": True, "channel": channel,
                    "permalink": f"https://demarc-test.slack.com/archives/{channel}/"
                                 f"p{ts.replace('.', '')}"}
        return None

    # -- user groups (usergroups.users.update / users.list / list) -------------------------
    def usergroup_users(self, group: str) -> list[str]:
        """Who the fake's user group `group` holds now (after usergroups.users.update)."""
        with self._lock:
            return list(self._groups.get(group, []))

    def _usergroups(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        group = str(body.get("usergroup", ""))
        if method == "usergroups.users.update":
            users = [u for u in str(body.get("users", "")).split(",") if u]
            with self._lock:
                self._groups[group] = users
            return {"ok": True, "usergroup": {"id": group, "users": users,
                                              "user_count": len(users)}}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroup_users(group)}
        if method == "usergroups.list":
            with self._lock:
                groups = [{"id": g, "users": list(u)} for g, u in self._groups.items()]
            return {"ok": True, "usergroups": groups}
        return {"ok": True}

    # -- the channels' contents (for conversations.history / replies) ----------------------
    def channel_id(self, channel: str) -> str:
        """Slack answers with channel ids: `#name` gets a stable made-up one."""
        if re.match(r"^[CGD][A-Z0-9]+$", channel):
            return channel
        if re.match(r"^[UW][A-Z0-9]+$", channel):  # a user id: the app's DM with them
            return "D" + hashlib.sha1(channel.encode()).hexdigest()[:9].upper()
        name = channel.lstrip("#")
        cid = "C" + hashlib.sha1(name.encode()).hexdigest()[:9].upper()
        with self._lock:
            self._names[name] = cid
        return cid

    def _store(self, channel: str, ts: str, body: dict[str, Any]) -> None:
        message = {"ts": ts, "text": body.get("text", ""), "thread_ts": body.get("thread_ts"),
                   "metadata": body.get("metadata")}
        with self._lock:
            self._messages.setdefault(channel, []).append(message)

    def _history(self, method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        channel = self.channel_id(str(body.get("channel")))
        oldest = float(body.get("oldest") or 0)
        with self._lock:
            stored = list(self._messages.get(channel, []))
        if method == "conversations.replies":
            stored = [m for m in stored if m["thread_ts"] == body.get("ts")]
        else:
            stored = [m for m in stored if not m["thread_ts"]]
        return [{k: v for k, v in m.items() if v is not None} for m in reversed(stored)
                if float(m["ts"]) >= oldest]

    def _next_ts(self) -> str:
        with self._lock:
            n = next(self._ts)
        return f"{int(time.time())}.{n:06d}"  # like Slack: the wall clock, unique per message


@dataclass
class _Limits:
    """Slack's rate limits as the fake applies them (None: no limit)."""

    per_channel: float | None
    updates_per_minute: int | None
    tolerance: float  # a call this much early still passes (Slack allows short bursts)
    last: dict[str, float] = field(default_factory=dict)  # channel -> last accepted call
    updates: deque[float] = field(default_factory=deque)  # accepted edits, last minute

    @property
    def configured(self) -> bool:
        return self.per_channel is not None or self.updates_per_minute is not None

    def wait(self, method: str, channel: str, at: float) -> float | None:
        """Seconds until the call would be allowed, or None if it is allowed now."""
        waits = []
        if self.per_channel is not None and channel in self.last:
            free = self.last[channel] + self.per_channel
            if at < free - self.tolerance:
                waits.append(free - at)
        if self.updates_per_minute is not None and method == "chat.update":
            while self.updates and self.updates[0] <= at - 60:
                self.updates.popleft()
            if len(self.updates) >= self.updates_per_minute:
                waits.append(self.updates[0] + 60 - at)
        return max(waits) if waits else None

    def accept(self, method: str, channel: str, at: float) -> None:
        self.last[channel] = at
        if self.updates_per_minute is not None and method == "chat.update":
            self.updates.append(at)


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8")
    if "json" in content_type:
        return dict(json.loads(text)) if text else {}
    body: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
    for key in ("blocks", "attachments"):  # form-encoded calls send these as JSON strings
        if isinstance(body.get(key), str):
            body[key] = json.loads(body[key])
    return body


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if len(raw) < length:  # the client died mid-request (a killed replica): Slack
                self.close_connection = True  # never got a whole request, records nothing
                return
            path = self.path.split("?", 1)[0]
            if path.startswith("/api/"):
                method = path.removeprefix("/api/")
            elif path.startswith("/response/"):
                method = RESPONSE_URL
            elif path.startswith("/upload/"):
                method = UPLOAD_URL
            else:
                self._send(404, {"ok": False, "error": "unknown_path"})
                return
            request = RecordedRequest(
                path=path,
                method=method,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=(
                    {} if method == UPLOAD_URL
                    else _parse(raw, self.headers.get("Content-Type", ""))
                ),
                raw=raw,
                at=fake.clock(),
            )
            failure = fake._record(request)
            gate = fake._gate
            if gate is not None and method in ("chat.postMessage", "chat.update"):
                try:
                    gate.wait()
                except threading.BrokenBarrierError:
                    failure = Failure(503)
            if fake.latency:
                time.sleep(fake.latency)  # Slack taking its time to answer
            if fake._hanging.is_set():
                fake._released.wait()
                failure = Failure(503)
            if failure is not None:
                self._fail(failure)
            elif method in (RESPONSE_URL, UPLOAD_URL):
                self._send_text(200, "OK - " + str(len(raw)))
            elif not request.headers.get("authorization", "").startswith("Bearer xoxb-"):
                self._send(200, {"ok": False, "error": "not_authed"})
            else:
                self._send(200, fake._answer(request))

        def _fail(self, failure: Failure) -> None:
            if failure.error is not None:
                self._send(200, {"ok": False, "error": failure.error})
                return
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            error = "ratelimited" if failure.status == 429 else "fatal_error"
            self._send(failure.status, {"ok": False, "error": error}, headers)

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_text(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

    return Handler


def wait_for(
    predicate: Callable[[], object], timeout: float = 5.0, message: str = "condition"
) -> None:
    """Poll `predicate` every 10 ms until truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(0.01)
