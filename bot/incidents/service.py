"""The incident use cases, one transaction each: open, acknowledge, escalate, resolve, note,
and the due timers. Each writes the incident, its timeline and its Slack messages together.

Concurrency: a process-wide lock serialises use cases in this process (Bolt runs listeners on
a thread pool: a double click is two threads); the incident row is read `FOR UPDATE`, so on
PostgreSQL replicas queue behind each other; the decision is taken on the state read under the
lock, so a repeat is a no-op; `open_incidents` has the asset as primary key, so two replicas
can never both open one; timers are claimed by a conditional UPDATE (see `timers`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.incident_modals import TimelineEntry
from bot.blocks.incidents import IncidentView, render_reminder, render_reminder_text
from bot.db.models import Alert, Incident, OpenIncident
from bot.incidents import deadlines, messages, replies
from bot.incidents.opening import open_incident
from bot.incidents.quotes import OpenChoice, Quote, add_quote, incident_of_thread, open_choices
from bot.incidents.records import (
    add_event,
    events_of,
    incident_in_channel,
    lock_incident,
    plan_of,
    state_of,
    view_of,
)
from bot.incidents.replies import Reply
from bot.incidents.transitions import apply_action
from bot.outbox.enqueue import utc
from ownership.incident_plan import find_asset
from ownership.incidents import (
    DEFAULT_SEVERITY,
    DEFAULT_TIMERS,
    RESTRICTED,
    Action,
    BoundarySide,
    Changed,
    Refused,
    Severity,
    Status,
    TimerPolicy,
    decide,
    may_act,
    next_reminder,
)
from ownership.model import Registry

MAX_SUMMARY = 500
IncidentHook = Callable[[Session, Incident, str, datetime], object]
"""Told of each change (session, incident, "opened" | "acknowledged" | "escalated" |
"resolved", now) in its transaction: subscribers and webhooks hear it (wired in bootstrap)."""
CHANGE_KINDS = {
    Action.ACKNOWLEDGE: "acknowledged",
    Action.ESCALATE: "escalated",
    Action.RESOLVE: "resolved",
}
MAX_NOTE = 3000


class IncidentService:
    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        policies: Mapping[Severity, TimerPolicy] = DEFAULT_TIMERS,
        admins: Callable[[], Iterable[str]] = tuple,
        on_change: IncidentHook | None = None,
    ) -> None:
        self.on_change = on_change
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.registry = registry
        self.clock = clock
        self.policies = policies
        self.admins = admins
        self._lock = threading.RLock()

    def _now(self) -> datetime:
        return utc(self.clock())

    # -- opening ---------------------------------------------------------------------------
    def open(
        self,
        asset_query: str,
        summary: str,
        *,
        actor: str | None,
        severity: Severity | None = None,
    ) -> Reply:
        """`/incident <asset> <summary> [sev]`: a new incident, or a pointer to the open one."""
        summary = " ".join(summary.split())[:MAX_SUMMARY]
        if not summary:
            return Reply(replies.USAGE, ok=False)
        registry = self.registry()
        asset = find_asset(registry, asset_query)
        if asset is None:
            return replies.unknown_asset(registry, asset_query)
        now = self._now()
        try:
            with self._lock, self.sessions.begin() as session:
                reply = open_incident(
                    session,
                    registry,
                    asset,
                    summary,
                    severity or DEFAULT_SEVERITY,
                    actor,
                    now,
                    self.policies,
                )
                self._changed(session, reply, "opened", now)
                return reply
        except IntegrityError:  # another replica opened one for this asset just now
            return self._already_open(asset.id)

    def open_from_alert(self, alert_id: int, *, actor: str | None) -> Reply:
        """The "Open incident" button on a late-data alert (or link it to the open one)."""
        registry = self.registry()
        now = self._now()
        asset = None
        try:
            with self._lock, self.sessions.begin() as session:
                alert = session.get(Alert, alert_id, with_for_update=True)
                contract = registry.contracts.get(alert.contract_id) if alert else None
                asset = registry.assets.get(contract.asset) if contract else None
                if alert is None or contract is None or asset is None:
                    return Reply(
                        "That alert no longer exists (was the contract removed from "
                        "the registry?).",
                        ok=False,
                    )
                row = session.get(Incident, alert.incident_id) if alert.incident_id else None
                if row is not None and row.status != Status.RESOLVED.value:
                    return replies.already_open(view_of(row, registry, now), row.channel)
                summary = (
                    f"{contract.id} is late"
                    if alert.kind == "late"
                    else f"{contract.id} cannot be checked"
                )
                reply = open_incident(
                    session,
                    registry,
                    asset,
                    summary,
                    DEFAULT_SEVERITY,
                    actor,
                    now,
                    self.policies,
                    alert,
                )
                self._changed(session, reply, "opened", now)
                return reply
        except IntegrityError:
            return self._already_open(asset.id if asset else "")

    def _changed(self, session: Session, reply: Reply, kind: str, now: datetime) -> None:
        """Tell `on_change` of an incident this reply says was opened just now."""
        if self.on_change is None or not reply.changed or reply.incident_id is None:
            return
        row = session.get(Incident, reply.incident_id)
        if row is not None:
            self.on_change(session, row, kind, now)

    def _already_open(self, asset_id: str) -> Reply:
        with self.sessions() as session:
            guard = session.get(OpenIncident, asset_id)
            row = session.get(Incident, guard.incident_id) if guard else None
            if row is None:
                return Reply(
                    "Someone opened or closed an incident on this asset at the same "
                    "moment; try again.",
                    ok=False,
                )
            return replies.already_open(view_of(row, self.registry(), self._now()), row.channel)

    # -- acting on an incident ---------------------------------------------------------------
    def acknowledge(self, incident_id: int, *, actor: str) -> Reply:
        return self.act(incident_id, Action.ACKNOWLEDGE, actor=actor)

    def escalate(self, incident_id: int, *, actor: str) -> Reply:
        return self.act(incident_id, Action.ESCALATE, actor=actor)

    def resolve(
        self, incident_id: int, *, actor: str, side: str, note: str, reason: str | None = None
    ) -> Reply:
        return self.act(
            incident_id, Action.RESOLVE, actor=actor, side=side, note=note, reason=reason
        )

    def add_note(self, incident_id: int, *, actor: str, note: str) -> Reply:
        return self.act(incident_id, Action.NOTE, actor=actor, note=note)

    def check(self, incident_id: int, action: Action, *, actor: str) -> Reply | None:
        """Why `actor` cannot take `action` now (resolved, not allowed), or None if they can:
        asked before opening a modal, so nobody fills one in for nothing."""
        registry = self.registry()
        with self.sessions() as session:
            row = session.get(Incident, incident_id)
            return None if row is None else self._refusal(row, registry, action, actor)

    def _refusal(
        self, row: Incident, registry: Registry, action: Action, actor: str | None
    ) -> Reply | None:
        view = view_of(row, registry, self._now())
        if isinstance(decide(state_of(row), action), Refused):
            return replies.resolved(view)
        allowed = (
            actor is None
            or action not in RESTRICTED
            or may_act(registry, plan_of(row).involved_team_ids, actor, self.admins())
        )
        return None if allowed else replies.not_allowed(view, registry, action)

    def act(
        self,
        incident_id: int,
        action: Action,
        *,
        actor: str | None,
        note: str = "",
        side: str | None = None,
        reason: str | None = None,
    ) -> Reply:
        note = note.strip()[:MAX_NOTE]
        if action is Action.NOTE and not note:
            return Reply("The note is empty.", ok=False)
        sides = {s.value for s in BoundarySide}
        if action is Action.RESOLVE and (side not in sides or not note):
            return Reply(
                "To resolve, say which side the cause was on (data, feature_model, "
                "both, external) and write a resolution note.",
                ok=False,
            )
        registry = self.registry()
        now = self._now()
        with self._lock, self.sessions.begin() as session:
            row = lock_incident(session, incident_id)
            if row is None:
                return replies.no_incident(incident_id)
            refusal = self._refusal(row, registry, action, actor)
            if refusal is not None:
                return refusal
            before = state_of(row)
            decision = decide(before, action)
            if not isinstance(decision, Changed):
                return replies.unchanged(view_of(row, registry, now), decision.reason)
            view = apply_action(
                session, row, registry, action, actor, now, self.policies, note=note, side=side,
                reason=reason,
            )
            if action is not Action.NOTE and self.on_change is not None:
                self.on_change(session, row, CHANGE_KINDS[action], now)
            return replies.done(view, action, before.severity)

    # -- timers ------------------------------------------------------------------------------
    def fire_due_timers(self) -> int:
        """Escalate incidents nobody acknowledged in time and post due reminders; each fires
        once however many replicas run this. Returns how many fired."""
        now = self._now()
        fired = 0
        for incident_id in deadlines.due(self.engine, now):
            with self._lock, self.sessions.begin() as session:
                fired += self._fire(session, incident_id, now)
        return fired

    def _fire(self, session: Session, incident_id: int, now: datetime) -> int:
        registry = self.registry()
        fired = 0
        if deadlines.claim_escalation(session, incident_id, now):
            row = lock_incident(session, incident_id)
            if row is not None:
                apply_action(session, row, registry, Action.ESCALATE, None, now, self.policies)
                if self.on_change is not None:
                    self.on_change(session, row, "escalated", now)
                fired += 1
        row = lock_incident(session, incident_id)
        if row is None:
            return fired
        later = next_reminder(state_of(row).severity, now, self.policies)
        if deadlines.claim_reminder(session, incident_id, now, later):
            row = lock_incident(session, incident_id)
            assert row is not None
            add_event(session, incident_id, "reminder", now, detail="status update reminder")
            view = view_of(row, registry, now)
            messages.reply(
                session,
                incident_id,
                row.channel,
                render_reminder_text(view),
                now,
                blocks=render_reminder(view),
            )
            fired += 1
        return fired

    # -- the timeline shortcut ----------------------------------------------------------------
    def add_quote(self, incident_id: int, quote: Quote, *, actor: str) -> Reply:
        """Put a Slack message on the incident's timeline (the message shortcut)."""
        now = self._now()
        with self._lock, self.sessions.begin() as session:
            row = lock_incident(session, incident_id)
            if row is None:
                return replies.no_incident(incident_id)
            add_quote(session, self.registry(), row, quote, actor, now)
            return Reply(f"Added the message to incident #{row.id}'s timeline.",
                         incident_id=row.id, changed=True)

    def of_thread(self, channel: str, thread_ts: str) -> int | None:
        with self.sessions() as session:
            return incident_of_thread(session, channel, thread_ts)

    def open_choices(self) -> list[OpenChoice]:
        with self.sessions() as session:
            return open_choices(session)

    # -- reading -----------------------------------------------------------------------------
    def view(self, incident_id: int) -> IncidentView | None:
        with self.sessions() as session:
            row = session.get(Incident, incident_id)
            return view_of(row, self.registry(), self._now()) if row else None

    def timeline(self, incident_id: int) -> tuple[IncidentView, list[TimelineEntry]] | None:
        with self.sessions() as session:
            row = session.get(Incident, incident_id)
            if row is None:
                return None
            return view_of(row, self.registry(), self._now()), events_of(session, incident_id)

    def in_channel(self, channel_id: str, channel_name: str = "") -> int | None:
        with self.sessions() as session:
            return incident_in_channel(session, channel_id, channel_name)

    def latest(self, *, unresolved: bool = True) -> int | None:
        """The newest (unresolved) incident's id: what the demo acts on without an id."""
        with self.sessions() as session:
            return deadlines.latest(session, unresolved=unresolved)
