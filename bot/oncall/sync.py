"""The on-call sync: user groups hold whoever is on call, and each handoff is announced.

One job on every replica; only the holder of the `oncall-sync` lease acts, and every Slack call
is fenced by its token (`bot.db.leases`). What was last done is kept in `oncall_state`, read
and written in the transaction that confirms the fence: so `usergroups.users.update` runs once
per change of who is on call, across replicas and restarts. Teams may share one on-call user
group (several rotations into one group): it holds all their on-calls. A team whose schedule
cannot be read leaves its group as it is rather than emptying it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.blocks.oncall import render_handoff
from bot.db.leases import Fence, LeaseKeeper
from bot.db.models import Alert, Incident, OncallState
from bot.oncall.lookup import External, OnCallView, on_call_view
from bot.oncall.overrides import effective_registry
from bot.outbox.enqueue import POST_MESSAGE, enqueue
from bot.outbox.home import queue_home_refresh
from ownership.model import Registry, Team

log = logging.getLogger(__name__)
LEASE = "oncall-sync"
SYNC_EVERY = timedelta(seconds=30)
RESOLVED = "resolved"


class UserGroups(Protocol):
    def usergroups_users_update(self, *, usergroup: str, users: str, **kwargs: Any) -> Any: ...


@dataclass
class OnCallSync:
    engine: Engine
    registry: Callable[[], Registry]
    slack: UserGroups
    clock: Callable[[], datetime]
    holder: str
    lease_ttl: timedelta = timedelta(seconds=20)
    external: External | None = None

    def __post_init__(self) -> None:
        self.lease = LeaseKeeper(self.engine, LEASE, self.holder, ttl=self.lease_ttl)

    def tick(self) -> int:
        """One round under the lease: the Slack calls and notices made (0 when not ours)."""
        if self.lease.acquire() is None:
            return 0
        fence = self.lease.fence()
        assert fence is not None
        now = self.clock()
        registry = effective_registry(self.engine, self.registry(), now)
        views = {
            t.id: on_call_view(t, now, self.external)
            for t in registry.teams.values()
            if t.rotation is not None or t.schedule is not None
        }
        done = 0
        for group, users in desired_groups(registry, views).items():
            done += self._update_group(fence, group, users)
        for team_id, view in views.items():
            done += self._announce(fence, registry, registry.teams[team_id], view, now)
        return done

    def release(self) -> None:
        self.lease.release()

    def _update_group(self, fence: Fence, group: str, users: tuple[str, ...]) -> int:
        value = ",".join(users)
        try:
            with Session(self.engine) as session, session.begin():
                state = session.get(OncallState, f"usergroup:{group}")
                if state is not None and state.value == value:
                    return 0
                if not fence.confirm(session):
                    return 0  # another replica holds the lease now: it will do this
                self.slack.usergroups_users_update(usergroup=group, users=value)
                _remember(session, state, f"usergroup:{group}", value, self.clock())
        except SlackApiError as error:  # nothing recorded: the next round tries again
            log.warning("Could not update user group %s: %s", group, error.response.get("error"))
            return 0
        return 1

    def _announce(
        self, fence: Fence, registry: Registry, team: Team, view: OnCallView, now: datetime
    ) -> int:
        if view.current is None:
            return 0
        key, value = f"handoff:{team.id}", view.current.person.key
        with Session(self.engine) as session, session.begin():
            state = session.get(OncallState, key)
            if state is not None and state.value == value:
                return 0
            if not fence.confirm(session):
                return 0
            first_sight = state is None  # a new team or a first start: nothing was handed off
            before = state.value if state is not None else None
            _remember(session, state, key, value, now)
            if first_sight:
                return 0
            # their Home tabs show whose shift it is: the one starting and the one ending
            queue_home_refresh(session, _slack_ids(team, before, view.current.person.slack_id),
                               now)
            if not team.oncall_channel:
                return 0
            late, incidents = open_work(session, registry, team)
            text = render_handoff(team, view.current, late, incidents, now)
            enqueue(
                session,
                method=POST_MESSAGE,
                channel=team.oncall_channel,
                payload={"text": text, "unfurl_links": False, "unfurl_media": False},
                now=now,
            )
        return 1


def _slack_ids(team: Team, before: str | None, now_on: str | None) -> set[str]:
    """The Slack ids of the person handing off (by their rotation key) and the one taking over."""
    ids = {now_on} if now_on else set()
    people = team.members + (team.rotation.members if team.rotation else ())
    ids |= {p.slack_id for p in people if before and p.key == before and p.slack_id}
    return ids


def desired_groups(registry: Registry, views: dict[str, OnCallView]) -> dict[str, tuple[str, ...]]:
    """Each on-call user group and the Slack ids it should hold, sorted; a group one of whose
    teams is unknown right now (its schedule is down) is left out: better stale than empty."""
    groups: dict[str, set[str]] = {}
    unknown: set[str] = set()
    for team_id, view in views.items():
        group = registry.teams[team_id].oncall_usergroup
        if group is None:
            continue
        members = groups.setdefault(group.id, set())
        if view.unknown_since is not None:
            unknown.add(group.id)
        elif view.current is not None and view.current.person.slack_id:
            members.add(view.current.person.slack_id)
    return {g: tuple(sorted(u)) for g, u in groups.items() if u and g not in unknown}


def open_work(session: Session, registry: Registry, team: Team) -> tuple[int, int]:
    """(late contracts, open incidents) the team owns, for the handoff notice."""
    owned = [c.id for c in registry.contracts.values() if c.owner_team == team.id]
    assets = [c.asset for c in registry.contracts.values() if c.owner_team == team.id]
    late = session.scalar(
        select(func.count(func.distinct(Alert.contract_id))).where(
            Alert.contract_id.in_(owned), Alert.status == "open", Alert.kind == "late"
        )
    )
    incidents = session.scalar(
        select(func.count())
        .select_from(Incident)
        .where(Incident.asset.in_(assets), Incident.status != RESOLVED)
    )
    return int(late or 0), int(incidents or 0)


def _remember(
    session: Session, state: OncallState | None, key: str, value: str, now: datetime
) -> None:
    if state is None:
        session.add(OncallState(key=key, value=value, updated_at=now))
    else:
        state.value, state.updated_at = value, now
