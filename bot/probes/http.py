"""HTTP probe: GET a URL and read the newest timestamp from its JSON body or a response header.

* `HttpProbe.timestamp` is `json:<dotted.path>` (dict keys, list indices as digits, e.g.
  `json:data.0.updated_at`; an empty path is the whole document) holding an ISO-8601 string
  (`Z` allowed, naive means UTC) or epoch seconds; or `header:<Name>` holding an HTTP date
  (e.g. `header:Last-Modified`). A JSON `null` means "no data yet": no timestamp, no error.
* Header values are `env:VARIABLE` and resolved from the environment at probe time; they may be
  tokens, so they are never logged and are scrubbed from error messages.
* Redirects are not followed (a redirect could carry the headers to another host).
* `source_now` is the server's `Date` header when present, so age can be computed on one clock.
* Timeouts are per phase (connect/read/write/pool); the runner bounds the whole request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.probes.runner import ProbeResult, TimestampError, elapsed, format_seconds, one_line, to_utc
from ownership.model import HttpProbe
from ownership.timeparse import zone

_UTC = zone("UTC")
_USER_AGENT = "demarc-probe"
_MAX_BYTES = 10 * 1024 * 1024


class ProbeFailed(Exception):
    """A failure whose message is safe to show (no secrets, one line)."""


class HttpProber:
    """Probes HTTP sources with one shared `httpx.Client` (created here unless injected)."""

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
        max_bytes: int = _MAX_BYTES,
    ) -> None:
        self._environ = environ
        self._seconds = timeout
        self._timeout = httpx.Timeout(connect=timeout, read=timeout, write=timeout, pool=timeout)
        self._max_bytes = max_bytes
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=self._timeout, follow_redirects=False, headers={"User-Agent": _USER_AGENT}
        )

    def probe(self, p: HttpProbe) -> ProbeResult:
        start = time.monotonic()
        secrets: list[str] = []
        try:
            headers = self._headers(p, secrets)
            last_update, source_now = self._fetch(p, headers)
        except ProbeFailed as exc:
            return ProbeResult(error=_scrub(str(exc), secrets), duration=elapsed(start))
        except httpx.TimeoutException:
            message = f"timed out after {format_seconds(self._seconds)}"
            return ProbeResult(error=message, duration=elapsed(start))
        except Exception as exc:  # any failure is a result, never an exception
            message = f"request failed: {type(exc).__name__}: {one_line(str(exc))}"
            return ProbeResult(error=_scrub(message, secrets), duration=elapsed(start))
        return ProbeResult(last_update, source_now, None, elapsed(start))

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpProber:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _headers(self, p: HttpProbe, secrets: list[str]) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, spec in p.headers:
            if not spec.startswith("env:"):
                raise ProbeFailed(f"header {name} must be 'env:VARIABLE'")
            variable = spec.removeprefix("env:").strip()
            value = self._environ.get(variable)
            if value is None:
                raise ProbeFailed(f"environment variable {variable} is not set (header {name})")
            if value:
                secrets.append(value)
            if not all(c == "\t" or 32 <= ord(c) < 127 for c in value):
                raise ProbeFailed(
                    f"environment variable {variable} (header {name}) has characters not "
                    "allowed in an HTTP header"
                )
            headers[name] = value
        return headers

    def _fetch(
        self, p: HttpProbe, headers: dict[str, str]
    ) -> tuple[datetime | None, datetime | None]:
        kind, _, selector = p.timestamp.partition(":")
        if kind not in ("json", "header") or (kind == "header" and not selector.strip()):
            raise ProbeFailed("timestamp must be 'json:<field.path>' or 'header:<Name>'")
        with self._client.stream(
            "GET", p.url, headers=headers, timeout=self._timeout, follow_redirects=False
        ) as response:
            if not response.is_success:
                reason = f" {response.reason_phrase}" if response.reason_phrase else ""
                raise ProbeFailed(f"HTTP {response.status_code}{reason}")
            source_now = _header_time(response.headers.get("Date"))
            if kind == "header":
                name = selector.strip()
                value = response.headers.get(name)
                if value is None:
                    raise ProbeFailed(f"response has no {name} header")
                stamp = _header_time(value)
                if stamp is None:
                    raise ProbeFailed(f"cannot read {name} header as a date")
                return stamp, source_now
            document = self._json(response)
        return _json_time(document, selector.strip()), source_now

    def _json(self, response: httpx.Response) -> object:
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > self._max_bytes:
                raise ProbeFailed(f"response is larger than {self._max_bytes} bytes")
        try:
            return json.loads(bytes(body))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProbeFailed("response is not valid JSON") from exc


def _json_time(document: object, path: str) -> datetime | None:
    node = document
    walked: list[str] = []
    for key in path.split(".") if path else []:
        where = ".".join(walked) or "the top level"
        if isinstance(node, dict):
            if key not in node:
                raise ProbeFailed(f"field {path} not found (no {key!r} at {where})")
            node = node[key]
        elif isinstance(node, list):
            if not key.isdigit():
                raise ProbeFailed(f"field {path} not found ({where} is a list, {key!r} no index)")
            if int(key) >= len(node):
                raise ProbeFailed(f"field {path} not found ({where} has {len(node)} items)")
            node = node[int(key)]
        else:
            raise ProbeFailed(f"field {path} not found ({where} is not an object or list)")
        walked.append(key)
    if node is None:
        return None
    if not isinstance(node, str | int | float) or isinstance(node, bool):
        raise ProbeFailed(f"field {path or '(document)'} is a {type(node).__name__}, not a time")
    try:
        return to_utc(node, _UTC)
    except TimestampError as exc:
        raise ProbeFailed(f"field {path or '(document)'}: {exc}") from exc


def _header_time(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110), or failing that ISO-8601; naive means UTC."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            return to_utc(value, _UTC)
        except TimestampError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message
