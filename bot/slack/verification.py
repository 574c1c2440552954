"""Trust at the edge: only requests Slack signed reach Bolt, and replies only go back to Slack.

`RequestSignature` checks a request in the WSGI layer, before Bolt parses it: any exception
while checking (a timestamp of "abc", an empty one, a non-UTF-8 body) means "not verified",
so a malformed forgery is refused like any other instead of reaching an error handler with
an unverified body. Bolt checks the signature again; both must pass.

`ResponseUrls` is the allowlist for `response_url`: demarc only ever POSTs to Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

from bot.settings import DEFAULT_RESPONSE_URL_PREFIXES

log = logging.getLogger(__name__)

VERIFIED = "demarc_verified"  # set in the Bolt context once Bolt's own check passed


class RequestSignature:
    """Slack's v0 request signature, checked so that nothing raises."""

    def __init__(self, signing_secret: str, clock: Clock | None = None) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock or Clock())

    def is_valid(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not signature or not timestamp.isascii():
            return False
        try:
            return bool(self._verifier.is_valid(body, timestamp, signature))
        except Exception:  # whatever went wrong (int("abc"), a non-UTF-8 body): not verified
            return False


def is_verified(request: BoltRequest) -> bool:
    return bool(request.context.get(VERIFIED))


class ResponseUrls:
    """Which `response_url`s demarc may POST to (Slack's own by default)."""

    def __init__(self, prefixes: tuple[str, ...] = DEFAULT_RESPONSE_URL_PREFIXES) -> None:
        self.prefixes = prefixes

    def allows(self, url: object) -> bool:
        return isinstance(url, str) and any(url.startswith(p) for p in self.prefixes)

    def check(self, context: dict[str, Any]) -> None:
        """Forget a response_url that is not on the list (and say so in the log).

        Bolt builds `respond` from `context.response_url` (lazy listeners copy the context),
        so with it gone no code path can POST there.
        """
        url = context.get("response_url")
        if url is not None and not self.allows(url):
            log.warning("Ignored a response_url outside the allowlist: %.80s", url)
            context["response_url"] = None
            context.pop("respond", None)


def make_edge_middleware(urls: ResponseUrls) -> Callable[..., Any]:
    """Bolt's `before_authorize` middleware, which runs only once Bolt's own signature check
    passed: mark the request verified, and drop a response_url that is not Slack's."""

    def verified_edge(context: dict[str, Any], next_: Callable[[], BoltResponse | None]) -> Any:
        context[VERIFIED] = True
        urls.check(context)
        return next_()

    return verified_edge
