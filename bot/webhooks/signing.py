"""How demarc signs a webhook request, and how a receiver checks it (Slack's scheme, renamed).

    X-Demarc-Request-Timestamp: 1767225600            (Unix seconds, when this attempt was sent)
    X-Demarc-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>

A receiver recomputes the signature over the raw body it got, compares in constant time, and
refuses a timestamp more than five minutes from its clock (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac

VERSION = "v1"
TIMESTAMP_HEADER = "X-Demarc-Request-Timestamp"
SIGNATURE_HEADER = "X-Demarc-Signature"
EVENT_HEADER = "X-Demarc-Event"
DELIVERY_HEADER = "X-Demarc-Delivery"  # the same on every attempt: receivers dedupe by it
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver runs: the signature matches and the timestamp is recent."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
