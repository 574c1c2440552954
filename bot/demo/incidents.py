"""The demo's incident commands: the same service the Slack listeners use, driven by typing.

`/incident`, `/ack`, `/escalate`, `/resolve`, `/note` act as one person of the registry (the
first admin, else the first member of the first team; `/as` switches); `/wait` moves the demo
clock on and fires due timers; messages travel the real outbox to the terminal Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from bot.blocks.escape import USER_ID
from bot.blocks.incident_modals import render_timeline
from bot.demo.terminal_slack import render_blocks, to_plain
from bot.demo.world import DemoWorld, deliver_all, run_due_checks
from bot.incidents.export import export_incident
from bot.incidents.parse import OpenRequest, TimelineRequest, parse_incident
from bot.incidents.replies import USAGE
from bot.incidents.service import IncidentService
from ownership.incidents import Action

HELP = """\
  /incident <asset> <summary> [sev1|sev2|sev3]   open an incident (tags both teams per RACI)
  /ack [id]  /escalate [id]  /note [id] <text>     work the latest open incident (or #id)
  /resolve [id] <data|feature_model|both|external> <note>
  /timeline [id]  /export [id]                     the record, and the postmortem draft
  /wait <minutes>                                  move the clock on; due timers and checks run
  /as <name, email or Slack id>                    act as someone else (try a stranger)"""
SIDES = {
    "data": "data",
    "feature_model": "feature_model",
    "feature/model": "feature_model",
    "feature": "feature_model",
    "model": "feature_model",
    "both": "both",
    "external": "external",
}
_ID = re.compile(r"#?([0-9]{1,9})$")

Handler = Callable[[DemoWorld, str], str]


def _service(world: DemoWorld) -> IncidentService:
    assert world.services.incidents is not None
    return world.services.incidents


def actor(world: DemoWorld) -> str:
    if world.actor:
        return world.actor
    registry = world.services.holder.registry
    people = [p.slack_id for t in registry.teams.values() for p in t.members if p.slack_id]
    return (registry.admins or tuple(people) or ("U0DEMOUSER",))[0]


def _plain(world: DemoWorld, text: str) -> str:
    return to_plain(text, world.services.holder.registry)


def _after(world: DemoWorld, text: str) -> str:
    deliver_all(world)
    return _plain(world, text)


def _target(world: DemoWorld, text: str, *, unresolved: bool = True) -> tuple[int | None, str]:
    """(incident id, the rest): an explicit `#12`/`12` first, else the latest (open) one."""
    first, _, rest = text.strip().partition(" ")
    found = _ID.match(first)
    if found:
        return int(found[1]), rest.strip()
    return _service(world).latest(unresolved=unresolved), text.strip()


def incident(world: DemoWorld, text: str) -> str:
    request = parse_incident(text)
    if isinstance(request, TimelineRequest):
        return timeline(world, str(request.incident_id or ""))
    if not isinstance(request, OpenRequest):
        return _plain(world, USAGE)
    reply = _service(world).open(
        request.asset, request.summary, actor=actor(world), severity=request.severity
    )
    return _after(world, reply.text)


def _act(verb: Action) -> Handler:
    def run(world: DemoWorld, text: str) -> str:
        incident_id, rest = _target(world, text)
        if incident_id is None:
            return "No open incident. Open one: /incident customer_age predictions wrong"
        note, side = rest, None
        if verb is Action.RESOLVE:
            word, _, note = rest.partition(" ")
            side = SIDES.get(word.lower())
            if side is None or not note.strip():
                return "Usage: /resolve [id] <data|feature_model|both|external> <note>"
        reply = _service(world).act(incident_id, verb, actor=actor(world), note=note, side=side)
        return _after(world, reply.text)

    return run


def timeline(world: DemoWorld, text: str) -> str:
    incident_id, _ = _target(world, text, unresolved=False)
    found = _service(world).timeline(incident_id) if incident_id else None
    if found is None:
        return "No such incident."
    return render_blocks(render_timeline(*found), world.services.holder.registry)


def export(world: DemoWorld, text: str) -> str:
    incident_id, _ = _target(world, text, unresolved=False)
    if incident_id is None:
        return "No incident to export."
    draft = export_incident(
        world.services.engine, incident_id, world.services.holder.registry, world.clock()
    )
    return draft or f"No incident #{incident_id}."


def wait(world: DemoWorld, text: str) -> str:
    skip = getattr(world.clock, "skip", None)
    if not text.strip().isdigit() or skip is None:
        return "Usage: /wait <minutes>"
    until = world.clock() + timedelta(minutes=int(text.strip()))
    fired = 0

    def fire() -> None:
        nonlocal fired
        fired += _service(world).fire_due_timers()

    checks = run_due_checks(world, until, fire)  # freshness checks fall due as time passes
    fire()
    deliver_all(world)
    return (
        f"Clock: {world.clock():%Y-%m-%d %H:%M} UTC. Timers fired: {fired}. "
        f"Freshness checks run: {checks}."
    )


def act_as(world: DemoWorld, text: str) -> str:
    who = text.strip()
    registry = world.services.holder.registry
    people = [
        p
        for t in registry.teams.values()
        for p in t.members
        if who and (p.refers_to(who) or who.lower() in p.name.lower().split())
    ]
    if people and people[0].slack_id:
        world.actor = people[0].slack_id
        return f"You are {people[0].name} now."
    if USER_ID.match(who):
        world.actor = who
        return f"You are {who} now (not in the registry: a stranger to every team)."
    return "Usage: /as <name, email or Slack id of a person in the registry>"


COMMANDS: dict[str, Handler] = {
    "/incident": incident,
    "/ack": _act(Action.ACKNOWLEDGE),
    "/escalate": _act(Action.ESCALATE),
    "/resolve": _act(Action.RESOLVE),
    "/note": _act(Action.NOTE),
    "/timeline": timeline,
    "/export": export,
    "/wait": wait,
    "/as": act_as,
}
