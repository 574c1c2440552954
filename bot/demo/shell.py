"""`demarc demo`: type slash commands in the terminal, like Hubot's shell adapter.

The same typed answers the Slack listeners render as Block Kit are rendered here as text, and
alerts travel the real path (freshness service, outbox) to a terminal stand-in for Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import ContractStatus
from bot.demo.incidents import COMMANDS as INCIDENT_COMMANDS
from bot.demo.incidents import HELP as INCIDENT_HELP
from bot.demo.world import DemoWorld, build_world, deliver_all
from bot.freshness.report import STATE_WORDS, stamp, table
from bot.text.render_text import render_text, usage
from ownership.answers import who_owns
from ownership.loader import load_registry

PROMPT = "demarc> "
HELP = """Commands:
  /whoowns <asset or activity>   who is R/A/C/I, who is on call, the contract, the lineage
  /check                         run the freshness checks now (alerts appear as messages)
  /status                        each contract's state, last update and next check
  /load <contract>               make data arrive now for a contract (then /check)
{incidents}
  /help                          this text
  /quit                          leave (Ctrl-D works too)
Try: /whoowns customer_age   /whoowns feature engineering   /load customer_master_db
     /incident customer_age predictions wrong   /ack   /wait 60   /resolve data backfill late"""
HELP = HELP.format(incidents=INCIDENT_HELP)

Handler = Callable[[DemoWorld, str], str]


def _whoowns(world: DemoWorld, text: str) -> str:
    if not text.strip():
        return usage()
    return render_text(who_owns(world.services.holder.registry, text, world.clock()))


def _check(world: DemoWorld, _text: str) -> str:
    reports = world.services.freshness.check()
    deliver_all(world)
    rows = [
        [r.contract.id, STATE_WORDS[r.evaluation.state.value], r.evaluation.summary, r.action or ""]
        for r in reports
    ]
    return table(["contract", "state", "detail", "alert"], rows)


def _status(world: DemoWorld, _text: str) -> str:
    with Session(world.services.engine) as session:
        rows = [
            [
                s.contract_id,
                STATE_WORDS.get(s.state, s.state),
                stamp(s.last_update),
                stamp(s.next_check_at),
            ]
            for s in session.scalars(select(ContractStatus).order_by(ContractStatus.contract_id))
        ]
    return table(["contract", "state", "last update", "next check"], rows)


def _load(world: DemoWorld, text: str) -> str:
    registry = world.services.holder.registry
    contract = registry.contracts.get(text.strip())
    if contract is None or contract.id not in world.tables:
        names = ", ".join(sorted(world.tables))
        return f"Usage: /load <contract>, one of: {names}"
    at = world.load(contract)
    return f"Loaded a row into {contract.id} at {stamp(at)}. Now /check."


COMMANDS: dict[str, Handler] = {
    "/whoowns": _whoowns,
    "/check": _check,
    "/status": _status,
    "/load": _load,
    "/help": lambda _world, _text: HELP,
    **INCIDENT_COMMANDS,
}


def handle_line(world: DemoWorld, line: str) -> str | None:
    """One line in, the bot's reply out; None means "leave"."""
    line = line.strip()
    if not line:
        return ""
    if line in ("/quit", "/exit", "quit", "exit"):
        return None
    command, _, text = line.partition(" ")
    if not command.startswith("/"):  # "who owns customer_age?" like an @mention
        return _whoowns(world, line)
    handler = COMMANDS.get(command)
    if handler is None:
        return f"Unknown command {command}. Type /help."
    return handler(world, text)


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
    world = build_world(registry_path, stdout)
    try:
        return _loop(world, stdin, stdout)
    finally:
        world.close()


def _loop(world: DemoWorld, stdin: TextIO, stdout: TextIO) -> int:
    registry = world.services.holder.registry
    interactive = stdin.isatty()
    print(
        f"demarc demo: {len(registry.teams)} teams, {len(registry.assets)} assets, "
        f"{len(registry.contracts)} contracts; SQLite database and warehouse in "
        f"{world.directory}{' (removed on exit)' if world.owns_directory else ''}.",
        file=stdout,
    )
    print(f"Demo clock: {stamp(world.clock())}. Checking freshness…", file=stdout, flush=True)
    print(_check(world, ""), file=stdout)
    print("\nType /help for commands.", file=stdout, flush=True)
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            return 0
        if not interactive:
            print(f"{PROMPT}{line.rstrip()}", file=stdout)
        reply = handle_line(world, line)
        if reply is None:
            return 0
        if reply:
            print(reply, file=stdout, flush=True)
