"""JSON log lines with a request or job id, and secrets scrubbed from every message."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

context_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("context_id", default=None)

SECRETS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),  # Slack tokens
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)@"),  # passwords in URLs
    re.compile(r"(?i)(authorization|password|secret|token)(['\"]?\s*[:=]\s*['\"]?)[^\s,'\"}]+"),
)


def scrub(text: str) -> str:
    """Remove tokens and passwords from `text` (log lines, error messages)."""
    text = SECRETS[0].sub("xox*-***", text)
    text = SECRETS[1].sub("xapp-***", text)
    text = SECRETS[2].sub(r"\1:***@", text)
    return SECRETS[3].sub(r"\1\2***", text)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if (cid := context_id.get()) is not None:
            line["id"] = cid
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler", "alembic"):  # one line per job run / migration step
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
