"""Who demarc is in Slack (bot user id, bot id, team), resolved once in the background.

Bolt would otherwise call `auth.test` while building the app, or on the first request, where
a Slack that hangs holds that request for 30 s. Here `auth.test` runs on its own thread with a
short timeout, retried with backoff and one log line per failed attempt, while requests are
authorised with the bot token and whatever identity is known so far.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
# For clients whose failures demarc reports itself, one line per attempt: slack_sdk would log
# every failed request at ERROR, and retry it, on top.
QUIET = logging.getLogger("bot.slack_sdk_quiet")
QUIET.setLevel(logging.CRITICAL)

AUTH_TEST_TIMEOUT = 5.0
FIRST_RETRY = 1.0
MAX_RETRY = 60.0


@dataclass(frozen=True)
class Identity:
    bot_user_id: str | None
    bot_id: str | None
    team_id: str | None
    enterprise_id: str | None = None


class SlackIdentity:
    """The bot's identity: `start()` resolves it; `authorize` hands it to Bolt."""

    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        timeout: float = AUTH_TEST_TIMEOUT,
        wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
    ) -> None:
        self._token = token
        self._client = WebClient(
            token=token,
            base_url=api_url,
            timeout=int(max(1, timeout)),
            retry_handlers=[],  # the backoff below is the retry
            logger=QUIET,
        )
        self._wait = wait
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._identity: Identity | None = None
        self._problem = "not resolved yet"
        self._attempts = 0
        self._thread: threading.Thread | None = None

    @property
    def identity(self) -> Identity | None:
        with self._lock:
            return self._identity

    def start(self) -> None:
        """Resolve in a daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._resolve, name="slack-identity", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=AUTH_TEST_TIMEOUT + 1)

    def _resolve(self) -> None:
        delay = FIRST_RETRY
        while not self._stop.is_set():
            self._attempts += 1
            try:
                found = self._client.auth_test()
            except SlackApiError as exc:
                problem = (
                    f"Slack answered auth.test with {exc.response.get('error')} "
                    f"(HTTP {exc.response.status_code})"
                )
            except Exception as exc:
                problem = f"Slack unreachable: {type(exc).__name__}"
            else:
                identity = Identity(
                    found.get("user_id"),
                    found.get("bot_id"),
                    found.get("team_id"),
                    found.get("enterprise_id"),
                )
                with self._lock:
                    self._identity, self._problem = identity, ""
                log.info(
                    "Slack identity: bot user %s in team %s", identity.bot_user_id, identity.team_id
                )
                return
            with self._lock:
                self._problem = problem
            log.warning(
                "%s (attempt %d); retrying in %.0fs", problem, self._attempts, delay
            )
            if self._wait(self._stop, delay):
                return
            delay = min(delay * 2, MAX_RETRY)

    def status(self) -> str:
        """For /healthz: "ok: U… in T…", or why not (never fails health: see docs/deploy.md)."""
        with self._lock:
            identity, problem = self._identity, self._problem
        if identity is not None:
            return f"ok: {identity.bot_user_id} in {identity.team_id}"
        return f"not connected: {problem} (attempt {self._attempts})"

    def authorizer(self) -> Callable[[], AuthorizeResult]:
        """Bolt's `authorize`: the bot token, with the identity when it is known; no I/O.

        A plain function of no arguments: Bolt passes arguments by the function's names.
        """

        def authorize() -> AuthorizeResult:
            identity = self.identity or Identity(None, None, None)
            return AuthorizeResult(
                enterprise_id=identity.enterprise_id,
                team_id=identity.team_id,
                bot_id=identity.bot_id,
                bot_user_id=identity.bot_user_id,
                bot_token=self._token,
            )

        return authorize
