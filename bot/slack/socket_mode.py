"""Socket Mode: connect to Slack in the background, with backoff and one log line per attempt.

An unreachable Slack at start is an outage to wait out, not a crash: demarc keeps serving
/healthz and /metrics (which report "not connected") and keeps trying. Once connected, the
Socket Mode client reconnects by itself when a connection drops.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.slack.identity import QUIET

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0
MAX_RETRY = 60.0
CONNECT_TIMEOUT = 10


class SocketModeRunner:
    def __init__(
        self,
        app: App,
        app_token: str,
        *,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
    ) -> None:
        self._app, self._app_token = app, app_token
        self._first_retry, self._max_retry = first_retry, max_retry
        self._handler: SocketModeHandler | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._problem = "connecting"
        self._attempts = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._connect, name="socket-mode", daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        delay = self._first_retry
        while not self._stop.is_set():
            with self._lock:
                self._attempts += 1
                attempt = self._attempts
            try:
                if self._handler is None:
                    self._handler = SocketModeHandler(
                        self._app, self._app_token, web_client=_connecting_client(self._app)
                    )
                self._handler.connect()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
            except Exception as exc:
                problem = f"{type(exc).__name__}: {_one_line(exc)}"
                with self._lock:
                    self._problem = problem
                log.warning(
                    "Socket Mode: cannot connect to Slack (attempt %d): %s; retrying in %.0fs",
                    attempt,
                    problem,
                    delay,
                )
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self._max_retry)
            else:
                log.info("Socket Mode: connected to Slack (attempt %d)", attempt)
                return

    def status(self) -> str:
        """For /healthz: "ok: connected", or why not."""
        handler = self._handler
        if handler is not None and handler.client.is_connected():
            return "ok: connected"
        with self._lock:
            return f"not connected: {self._problem} (attempt {self._attempts})"

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._handler is not None:
            try:
                self._handler.close()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
            except Exception:
                log.info("Socket Mode: close failed", exc_info=True)


def _connecting_client(app: App) -> WebClient:
    """For apps.connections.open: no retries of its own and no log lines (the loop above
    logs one per attempt)."""
    return WebClient(
        base_url=app.client.base_url, timeout=CONNECT_TIMEOUT, retry_handlers=[], logger=QUIET
    )


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200]
