"""`demarc demo`: type slash commands in the terminal, like Hubot's shell adapter.

The same typed answers the Slack listeners render as Block Kit are rendered here as text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.render_text import render_text, usage
from ownership.answers import who_owns
from ownership.loader import load_registry
from ownership.model import Registry

PROMPT = "demarc> "
HELP = """Commands:
  /whoowns <asset or activity>   who is R/A/C/I, who is on call, the contract, the lineage
  /help                          this text
  /quit                          leave (Ctrl-D works too)
Try: /whoowns customer_age   /whoowns feature engineering   /whoowns customers"""

Handler = Callable[[Registry, str], str]


def _whoowns(registry: Registry, text: str) -> str:
    if not text.strip():
        return usage()
    return render_text(who_owns(registry, text, datetime.now(UTC)))


COMMANDS: dict[str, Handler] = {
    "/whoowns": _whoowns,
    "/help": lambda _registry, _text: HELP,
}


def handle_line(registry: Registry, line: str) -> str | None:
    """One line in, the bot's reply out; None means "leave"."""
    line = line.strip()
    if not line:
        return ""
    if line in ("/quit", "/exit", "quit", "exit"):
        return None
    command, _, text = line.partition(" ")
    if not command.startswith("/"):  # "who owns customer_age?" like an @mention
        return _whoowns(registry, line)
    handler = COMMANDS.get(command)
    if handler is None:
        return f"Unknown command {command}. Type /help."
    return handler(registry, text)


def run_shell(registry_path: Path, stdin: TextIO, stdout: TextIO) -> int:
    result = load_registry(registry_path)
    if result.registry is None:
        for problem in result.errors:
            print(problem, file=stdout)
        print(
            f"{registry_path}: fix these errors first (demarc validate {registry_path})",
            file=stdout,
        )
        return 1
    registry = result.registry
    interactive = stdin.isatty()
    print(
        f"demarc demo: {len(registry.teams)} teams, {len(registry.assets)} assets, "
        f"{len(registry.contracts)} contracts from {registry_path}. Type /help.",
        file=stdout,
    )
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            return 0
        if not interactive:
            print(f"{PROMPT}{line.rstrip()}", file=stdout)
        reply = handle_line(registry, line)
        if reply is None:
            return 0
        if reply:
            print(reply, file=stdout, flush=True)
