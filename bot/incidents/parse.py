"""Reading `/incident …` (and `@demarc incident …`) text into a request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.blocks.escape import unescape
from ownership.incidents import Severity

_QUOTES = "\"'`“”‘’"
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_INCIDENT_MENTION = re.compile(r"^\s*incident\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"#?(?P<id>[0-9]{1,9})")
MAX_TEXT = 1000


@dataclass(frozen=True)
class OpenRequest:
    asset: str
    summary: str
    severity: Severity | None = None


@dataclass(frozen=True)
class TimelineRequest:
    incident_id: int | None = None  # None: the incident of the channel it was asked in


@dataclass(frozen=True)
class Usage:
    problem: str = ""


Request = OpenRequest | TimelineRequest | Usage


def parse_incident(text: str) -> Request:
    """ "customer_age predictions wrong sev1" → OpenRequest; "timeline [12]" → TimelineRequest."""
    words = unescape(text[:MAX_TEXT]).split()
    if not words or words[0].lower() in ("help", "-h", "--help"):
        return Usage()
    if words[0].lower() == "timeline":
        if len(words) == 1:
            return TimelineRequest()
        number = _ID.fullmatch(words[1]) if len(words) == 2 else None
        return TimelineRequest(int(number["id"])) if number else Usage("not an incident number")
    asset, rest = words[0].strip(_QUOTES), words[1:]
    severity = None
    for index in (-1, 0):
        if rest and (found := Severity.parse(rest[index])) is not None:
            severity = found
            rest.pop(index)
            break
    summary = " ".join(rest).strip(_QUOTES + " ")
    if not asset:
        return Usage()
    if not summary:
        return Usage("empty summary")
    return OpenRequest(asset, summary, severity)


def incident_mention(text: str) -> str | None:
    """The text after "incident" in "@demarc incident …", or None for any other mention."""
    match = _INCIDENT_MENTION.match(_USER_MENTION.sub(" ", text))
    return match["rest"] if match else None
