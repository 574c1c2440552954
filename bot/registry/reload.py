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

from bot.blocks.escape import escape
from bot.outbox import enqueue
from bot.registry.holder import RegistryHolder
from ownership.errors import Problem
from ownership.registry_files import registry_files
from ownership.root_causes import knock_on_summary, roots

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
    """The root-cause errors, escaped, one `file:line:col: …` a line in a code block (parse
    errors first), "… and N more", then one line per file whose failure explains the rest."""
    errors = [p for p in problems if p.is_error]
    listed = roots(errors)
    shown = [escape(str(p)) for p in listed[:limit]]
    if len(listed) > limit:
        shown.append(f"… and {len(listed) - limit} more")
    shown += [escape(line) for line in knock_on_summary(errors)]
    return "```" + "\n".join(shown) + "```"


def count_errors(problems: list[Problem]) -> str:
    """ "3 error(s)", or "1 error(s) (and 48 that follow from it)" when knock-ons are left out."""
    errors = [p for p in problems if p.is_error]
    listed = len(roots(errors))
    follow = len(errors) - listed
    tail = f" (and {follow} that follow from {'it' if listed == 1 else 'them'})" if follow else ""
    return f"{listed} error(s){tail}"


def render_failure(problems: list[Problem], reason: str) -> str:
    return (
        f":warning: Registry reload ({escape(reason)}) failed with {count_errors(problems)}; "
        "demarc keeps running the last good registry. Fix these and push again:\n"
        + render_errors(problems)
    )


def render_refusal(problems: list[Problem], limit: int = MAX_LISTED) -> str:
    """The answer to `/demarc reload` when the new registry has errors."""
    return (
        f"Reload failed with {count_errors(problems)}; the last good registry keeps running.\n"
        + render_errors(problems, limit)
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
    _poll_failure: tuple[tuple[str, int, int], ...] | None = None

    def reload(self, reason: str) -> list[Problem]:
        with self._lock:
            if self.holder.path is not None:  # before loading: a failure is not retried
                self._seen = fingerprint(self.holder.path)  # until the files change again
            problems = self.holder.reload()
            errors = [p for p in problems if p.is_error]
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

    def poll_once(self, first: bool = False) -> None:
        """One look at the files (`bot.jobs.schedule` runs it every few seconds): reload when
        they changed (e.g. after `git pull` in a checkout); a failure is logged once per state
        of the files."""
        try:
            if self.changed() and not first:
                self.reload("files changed")
        except Exception as exc:
            failed_at = self._seen
            if failed_at != self._poll_failure:
                self._poll_failure = failed_at
                log.error(
                    "internal error while polling the registry %s: %s: %s; trying again "
                    "when the files change",
                    self.holder.path,
                    type(exc).__name__,
                    exc,
                    exc_info=exc,
                )
