"""Acknowledge on the request thread, work after the ack: Slack hears back within 3 seconds
whatever the Web API, the database or the registry do.

The app runs with `process_before_response=True`, so a route's `ack` function runs on the
thread that answers Slack and must do no remote I/O; its `work` runs as a Bolt lazy listener
on another thread, where an exception is reported like any other (a ref in Slack, a log line).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack
from slack_bolt.kwargs_injection import Args

from bot.slack.listeners.errors import report_after_ack

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Listener:
    """One route's functions: `ack` answers Slack; `work`, if any, runs after it."""

    ack: Handler
    work: Handler | None = None


def acknowledge(ack: Ack) -> None:
    ack()


def after_ack(work: Handler) -> Listener:
    """A route whose answer is a bare ack; everything else happens in `work`."""
    return Listener(acknowledge, work)


def register(route: Callable[..., Any], listener: Listener) -> None:
    """Register `listener` through a Bolt route decorator (`app.command(id)` and the like)."""
    if listener.work is None:
        route(listener.ack)
    else:
        route(ack=listener.ack, lazy=[reported(listener.work)])


def reported(work: Handler) -> Handler:
    """`work` as a lazy listener whose exceptions reach the error reporter.

    Bolt's lazy runner only logs an exception's message, so nobody would hear of it.
    """
    names = list(inspect.signature(work).parameters)

    def run_after_ack(args: Args) -> None:
        try:
            work(**{name: getattr(args, name) for name in names})
        except Exception as error:
            report_after_ack(error, args.body, args.context)

    run_after_ack.__name__ = run_after_ack.__qualname__ = f"{work.__name__}_after_ack"
    return run_after_ack
