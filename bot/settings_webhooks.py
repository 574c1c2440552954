"""Outgoing webhooks (DEMARC_WEBHOOKS): the events there are, each target, and the setting's
reader (the list is JSON; each secret is read from the variable the entry names)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

WEBHOOK_EVENTS = (
    "incident.opened",
    "incident.acknowledged",
    "incident.escalated",
    "incident.resolved",
    "contract.breached",
    "contract.recovered",
)


@dataclass(frozen=True, repr=False)
class WebhookTarget:
    """An outgoing webhook (DEMARC_WEBHOOKS): where to POST, the secret that signs each
    request (read from the variable `secret_env` names), and the events it wants."""

    name: str
    url: str
    secret: str = field(repr=False)
    events: tuple[str, ...] = WEBHOOK_EVENTS

    def __repr__(self) -> str:
        return f"WebhookTarget(name={self.name!r}, url={self.url!r}, events={self.events!r})"


def read_webhooks(env: Mapping[str, str], problems: list[str]) -> tuple[WebhookTarget, ...]:
    """DEMARC_WEBHOOKS: a JSON list of {"name", "url", "secret_env", "events"?}; the secret is
    the value of the variable `secret_env` names, so it never sits in the list itself."""
    raw = env.get("DEMARC_WEBHOOKS")
    if raw is None:
        return ()
    try:
        entries = json.loads(raw)
    except ValueError:
        entries = None
    if not isinstance(entries, list):
        problems.append(
            'DEMARC_WEBHOOKS must be a JSON list like [{"name": "jira", "url": '
            '"https://…", "secret_env": "JIRA_WEBHOOK_SECRET"}]'
        )
        return ()
    targets = []
    for index, entry in enumerate(entries):
        where = f"DEMARC_WEBHOOKS[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be an object with name, url and secret_env")
            continue
        name, url, secret_env = entry.get("name"), entry.get("url"), entry.get("secret_env")
        events = entry.get("events", list(WEBHOOK_EVENTS))
        if not (isinstance(name, str) and re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,79}", name)):
            problems.append(f"{where}.name must be a short lowercase name like jira")
            continue
        if not (isinstance(url, str) and re.match(r"^https?://[^\s/?#@]+", url)):
            problems.append(f"{where}.url must be an http(s) URL")
            continue
        secret = env.get(secret_env) if isinstance(secret_env, str) else None
        if not secret:
            problems.append(f"{where}.secret_env must name a set environment variable")
            continue
        unknown = (
            [e for e in events if e not in WEBHOOK_EVENTS] if isinstance(events, list) else [0]
        )
        if unknown or not events:
            problems.append(f"{where}.events must be a list of {', '.join(WEBHOOK_EVENTS)}")
            continue
        targets.append(WebhookTarget(name, url, secret, tuple(events)))
    if len({t.name for t in targets}) != len(targets):
        problems.append("DEMARC_WEBHOOKS names must be unique")
    return tuple(targets)
