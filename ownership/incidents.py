"""Incidents, pure: severities and their timers, the state machine, the boundary side, who may act.

States: open → acknowledged → escalated → resolved. Acknowledging and escalating may happen in
either order (an escalated incident can still be acknowledged); every action on a resolved
incident is refused, so resolving twice is refused. Nothing here reads the clock.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from ownership.errors import InvalidValue
from ownership.model import Registry


class Severity(enum.Enum):
    SEV1 = "sev1"  # production is down or predictions are wrong for everyone
    SEV2 = "sev2"  # a production asset is wrong or late; the default
    SEV3 = "sev3"  # degraded, with a workaround

    @property
    def label(self) -> str:
        return self.value.upper()

    def raised(self) -> Severity:
        """One step more severe (SEV1 stays SEV1)."""
        return {Severity.SEV3: Severity.SEV2}.get(self, Severity.SEV1)

    @classmethod
    def parse(cls, text: str) -> Severity | None:
        """ "sev1", "SEV1" or "Sev1" → SEV1; anything else → None."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            return None


DEFAULT_SEVERITY = Severity.SEV2


@dataclass(frozen=True, slots=True)
class TimerPolicy:
    """Escalate to the Accountable when nobody acknowledged within `acknowledge_within`;
    while open, remind the thread to post a status update every `remind_every`."""

    acknowledge_within: timedelta
    remind_every: timedelta


DEFAULT_TIMERS: Mapping[Severity, TimerPolicy] = MappingProxyType(
    {
        Severity.SEV1: TimerPolicy(timedelta(minutes=5), timedelta(minutes=30)),
        Severity.SEV2: TimerPolicy(timedelta(minutes=15), timedelta(hours=1)),
        Severity.SEV3: TimerPolicy(timedelta(hours=1), timedelta(hours=4)),
    }
)


class Status(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"

    @property
    def word(self) -> str:
        return self.value.capitalize()


class Action(enum.Enum):
    ACKNOWLEDGE = "acknowledge"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    NOTE = "note"


# Actions that only members of the involved teams (or admins) may take: acknowledging stops
# the escalation timer, so a stranger must not be able to silence it either.
RESTRICTED = frozenset({Action.ACKNOWLEDGE, Action.ESCALATE, Action.RESOLVE})


@dataclass(frozen=True, slots=True)
class IncidentState:
    status: Status
    severity: Severity
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class Changed:
    state: IncidentState


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A repeat of something already done (a double click): not an error, nothing happens."""

    reason: str


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


Decision = Changed | Unchanged | Refused


def decide(state: IncidentState, action: Action) -> Decision:
    """What `action` does to an incident in `state`."""
    if state.status is Status.RESOLVED:
        return Refused("already resolved" if action is Action.RESOLVE else "resolved")
    if action is Action.ACKNOWLEDGE:
        if state.acknowledged:
            return Unchanged("already acknowledged")
        status = Status.ACKNOWLEDGED if state.status is Status.OPEN else state.status
        return Changed(replace(state, status=status, acknowledged=True))
    if action is Action.ESCALATE:
        if state.status is Status.ESCALATED:
            return Unchanged("already escalated")
        return Changed(replace(state, status=Status.ESCALATED, severity=state.severity.raised()))
    if action is Action.RESOLVE:
        return Changed(replace(state, status=Status.RESOLVED))
    return Changed(state)  # a note changes nothing but the record


# ---------------------------------------------------------------------- timers
@dataclass(frozen=True, slots=True)
class Timers:
    escalate_at: datetime | None = None
    remind_at: datetime | None = None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidValue("incident timers need aware datetimes")
    return at


def timers_on_open(
    severity: Severity, now: datetime, policies: Mapping[Severity, TimerPolicy] = DEFAULT_TIMERS
) -> Timers:
    policy = policies[severity]
    now = _aware(now)
    return Timers(now + policy.acknowledge_within, now + policy.remind_every)


def timers_after(
    action: Action,
    before: Timers,
    after: IncidentState,
    now: datetime,
    policies: Mapping[Severity, TimerPolicy] = DEFAULT_TIMERS,
) -> Timers:
    """Timers once `action` changed the incident to `after`.

    Acknowledging stops the escalation timer; escalating (by hand or by the timer) stops it too
    and restarts the reminder at the new severity's pace; a note is a status update, so the
    next reminder is a full interval away; resolving stops both.
    """
    now = _aware(now)
    if after.status is Status.RESOLVED:
        return Timers()
    remind = now + policies[after.severity].remind_every
    if action is Action.ACKNOWLEDGE:
        return Timers(None, before.remind_at)
    if action is Action.ESCALATE:
        return Timers(None, remind)
    if action is Action.NOTE:
        return Timers(before.escalate_at, remind)
    return before


def next_reminder(
    severity: Severity, now: datetime, policies: Mapping[Severity, TimerPolicy] = DEFAULT_TIMERS
) -> datetime:
    """After a reminder fired: one interval from now (never a burst of missed ones)."""
    return _aware(now) + policies[severity].remind_every


# ---------------------------------------------------------------------- the boundary
class BoundarySide(enum.Enum):
    """Which side of the Data Engineering / MLOps boundary the cause was on."""

    DATA = "data"
    FEATURE_MODEL = "feature_model"
    BOTH = "both"
    EXTERNAL = "external"

    @property
    def label(self) -> str:
        return _SIDE_LABELS[self]

    @property
    def explanation(self) -> str:
        return _SIDE_EXPLANATIONS[self]


_SIDE_LABELS = {
    BoundarySide.DATA: "Data",
    BoundarySide.FEATURE_MODEL: "Feature/model",
    BoundarySide.BOTH: "Both",
    BoundarySide.EXTERNAL: "External",
}
_SIDE_EXPLANATIONS = {
    BoundarySide.DATA: "the data side: sources, pipelines, warehouse (Data Engineering)",
    BoundarySide.FEATURE_MODEL: "the feature/model side: features, training, serving (MLOps)",
    BoundarySide.BOTH: "both sides of the boundary",
    BoundarySide.EXTERNAL: "outside both teams: a vendor, a source system or the platform",
}


# ---------------------------------------------------------------------- permissions
def may_act(
    registry: Registry,
    team_ids: Iterable[str],
    user_id: str,
    admins: Iterable[str] = (),
) -> bool:
    """Members of the involved teams, registry `admins` and configured admins may act."""
    if user_id in registry.admins or user_id in set(admins):
        return True
    for team_id in team_ids:
        team = registry.teams.get(team_id)
        if team is not None and any(p.slack_id == user_id for p in team.members):
            return True
    return False
