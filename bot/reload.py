"""Registry reload without restart: on SIGHUP, on `/demarc reload`, and by polling the files.

A registry that fails validation is not applied: the last good one keeps running, and the
errors (file:line) go to the admin channel once per distinct failure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.escape import escape
from bot.outbox import enqueue
from bot.registry_holder import RegistryHolder
from ownership.errors import Problem
from ownership.loader import registry_files

log = logging.getLogger(__name__)
MAX_LISTED = 20


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the registry's files: cheap change detection."""
    out = []
    for path in registry_files(root):
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def render_errors(problems: list[Problem], limit: int = MAX_LISTED) -> str:
    """The errors, escaped, one `file:line:col: …` a line in a code block, then "… and N more"."""
    errors = [p for p in problems if p.is_error]
    shown = "\n".join(escape(str(p)) for p in errors[:limit])
    more = f"\n… and {len(errors) - limit} more" if len(errors) > limit else ""
    return f"```{shown}{more}```"


def render_failure(problems: list[Problem], reason: str) -> str:
    errors = sum(p.is_error for p in problems)
    return (
        f":warning: Registry reload ({escape(reason)}) failed with {errors} error(s); "
        "demarc keeps running the last good registry. Fix these and push again:\n"
        + render_errors(problems)
    )


@dataclass
class Reloader:
    holder: RegistryHolder
    engine: Engine | None
    clock: Callable[[], datetime]
    admin_channel: str | None = None
    on_change: Callable[[], None] = lambda: None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last_failure: str | None = None
    _seen: tuple[tuple[str, int, int], ...] = ()

    def reload(self, reason: str) -> list[Problem]:
        with self._lock:
            problems = self.holder.reload()
            errors = [p for p in problems if p.is_error]
            if self.holder.path is not None:
                self._seen = fingerprint(self.holder.path)
            if not errors:
                self._last_failure = None
                log.info("registry reloaded (%s): %d warning(s)", reason, len(problems))
                self.on_change()
                return problems
            summary = "\n".join(str(p) for p in errors)
            log.error(
                "registry reload (%s) failed; keeping the last good one:\n%s", reason, summary
            )
            if summary != self._last_failure:
                self._last_failure = summary
                self._tell_admins(render_failure(problems, reason))
            return problems

    def _tell_admins(self, text: str) -> None:
        if not self.admin_channel or self.engine is None:
            return
        with Session(self.engine) as session, session.begin():
            enqueue(
                session,
                method="chat.postMessage",
                channel=self.admin_channel,
                payload={"text": text},
                now=self.clock(),
            )

    def changed(self) -> bool:
        path = self.holder.path
        if path is None:
            return False
        if not self._seen:
            self._seen = fingerprint(path)
            return False
        return fingerprint(path) != self._seen

    def poll(self, stop: threading.Event, interval: float) -> None:
        """Reload whenever the files change (e.g. after `git pull` in a checkout)."""
        self.changed()
        while not stop.wait(interval):
            try:
                if self.changed():
                    self.reload("files changed")
            except Exception:
                log.exception("registry poll failed; trying again later")
