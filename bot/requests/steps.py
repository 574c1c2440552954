"""Answering a data request: accept, counter-propose, answer a counter, decline; reminders.

Each step locks the row, checks the state machine (`ownership.requests.states`) and who may
take it, then in one transaction: the new state, the timeline, the thread reply, the root edit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.escape import escape, truncate, user_mention
from bot.blocks.request_answers import render_terms_change
from bot.db.models import DataRequest
from bot.outbox.enqueue import utc
from bot.requests.history import on_time
from bot.requests.service import REMIND_AFTER, Reply, RequestService, add_event
from ownership.model import Registry
from ownership.requests.existing import describe_existing, existing_contract
from ownership.requests.model import DataRequestForm, RequestState, form_from_dict, form_to_dict
from ownership.requests.states import Pressed, Step, next_state, step_for

REMINDERS_PER_RUN = 50
RETRY_PUBLISH = timedelta(minutes=10)  # accepted, no pull request yet: try again


def _member(registry: Registry, team_id: str, user: str) -> bool:
    team = registry.teams.get(team_id)
    return team is not None and any(p.slack_id == user for p in team.members)


def sides(registry: Registry, row: DataRequest, user: str) -> tuple[bool, bool]:
    """(on the Accountable side, on the requester's side) for `user`."""
    accountable = _member(registry, row.accountable_team, user)
    requester = user == row.requested_by or _member(registry, row.consumer_team, user)
    return accountable, requester


def resolve_step(
    service: RequestService, request_id: int, pressed: Pressed, user: str
) -> tuple[Step, DataRequestForm] | str:
    """What pressing `pressed` would do for `user` now, or why they cannot (for the modals)."""
    with Session(service.engine) as session:
        row = session.get(DataRequest, request_id)
        if row is None:
            return f"There is no data request #{request_id}."
        accountable, requester = sides(service.registry(), row, user)
        step = step_for(
            pressed, RequestState(row.state), accountable=accountable, requester=requester
        )
        return step if isinstance(step, str) else (step, form_from_dict(json.loads(row.terms)))


class RequestSteps:
    def __init__(
        self, service: RequestService, on_accepted: Callable[[int], object] | None = None
    ) -> None:
        self.service, self.on_accepted = service, on_accepted

    def act(
        self,
        request_id: int,
        pressed: Pressed,
        user: str,
        *,
        terms: DataRequestForm | None = None,
        note: str = "",
    ) -> Reply:
        service, registry, now = self.service, self.service.registry(), self.service.clock()
        with Session(service.engine) as session, session.begin():
            row = session.get(DataRequest, request_id, with_for_update=True)
            if row is None:
                return Reply(f"There is no data request #{request_id}.", changed=False)
            accountable, requester = sides(registry, row, user)
            state = RequestState(row.state)
            step = step_for(pressed, state, accountable=accountable, requester=requester)
            if isinstance(step, str):
                return Reply(step, request_id, changed=False)
            after = next_state(state, step)
            if after is None or (step in (Step.COUNTER, Step.ANSWER) and terms is None):
                return Reply(
                    f"Data request #{request_id} cannot be answered that way now.",
                    request_id,
                    changed=False,
                )
            who = user_mention(user) or "someone"
            if step is Step.ACCEPT:
                text = (
                    f":white_check_mark: {who} accepted the terms. demarc drafts the contract "
                    "and opens a pull request on the registry."
                )
                detail = "accepted the terms"
            elif step is Step.DECLINE:
                row.decline_reason = note
                text = f":no_entry_sign: {who} declined: {escape(truncate(note, 500))}"
                detail = f"declined: {note}"
            else:
                assert terms is not None
                before = form_from_dict(json.loads(row.terms))
                row.terms = json.dumps(form_to_dict(terms), ensure_ascii=False)
                text = render_terms_change(who, before, terms, note)
                detail = text
            row.state = after.value
            row.updated_at = utc(now)
            # accepted: the publisher clears it once the pull request is open (else a retry)
            wait = REMIND_AFTER if after.is_open else RETRY_PUBLISH
            row.next_reminder_at = utc(now + wait) if after.is_open or step is Step.ACCEPT else None
            add_event(session, row.id, _KINDS[step], now, user, truncate(detail, 2000))
            service.reply(session, row.id, row.channel, text, now)
            self._edit_root(session, registry, row, now)
        if step is Step.ACCEPT and self.on_accepted is not None:
            self.on_accepted(request_id)
        return Reply(text, request_id)

    def remind_due(self) -> int:
        """A reminder in each request's thread that waited `REMIND_AFTER` for an answer."""
        service, registry, now = self.service, self.service.registry(), self.service.clock()
        states = [s.value for s in RequestState if s.is_open]
        sent = self._retry_publishing()
        with Session(service.engine) as session, session.begin():
            due = session.scalars(
                select(DataRequest)
                .where(DataRequest.state.in_(states), DataRequest.next_reminder_at <= utc(now))
                .order_by(DataRequest.next_reminder_at)
                .limit(REMINDERS_PER_RUN)
                .with_for_update(skip_locked=True)
            ).all()
            for row in due:
                waiting = _waiting_on(registry, row)
                service.reply(
                    session,
                    row.id,
                    row.channel,
                    f":hourglass: No answer yet: waiting on {waiting}.",
                    now,
                )
                add_event(session, row.id, "reminder", now, detail=f"waiting on {waiting}")
                row.next_reminder_at = utc(now + REMIND_AFTER)
                sent += 1
        return sent

    def _retry_publishing(self) -> int:
        """Accepted requests whose pull request is not open yet (a failure, a crash)."""
        if self.on_accepted is None:
            return 0
        now = utc(self.service.clock())
        with Session(self.service.engine) as session:
            due = list(session.scalars(
                select(DataRequest.id).where(DataRequest.state == RequestState.ACCEPTED.value,
                                             DataRequest.pull_request.is_(None),
                                             DataRequest.next_reminder_at <= now)
                .limit(REMINDERS_PER_RUN)
            ))
        for request_id in due:
            self.on_accepted(request_id)
        return len(due)

    def _edit_root(
        self, session: Session, registry: Registry, row: DataRequest, now: datetime
    ) -> None:
        contract = existing_contract(registry, row.source)
        history = on_time(session, contract.id, now) if contract else None
        self.service.edit_root(session, row, describe_existing(contract, history), now)


_KINDS = {
    Step.ACCEPT: "accepted",
    Step.COUNTER: "countered",
    Step.ANSWER: "answered",
    Step.DECLINE: "declined",
    Step.MERGE: "merged",
}


def _waiting_on(registry: Registry, row: DataRequest) -> str:
    if row.state == RequestState.COUNTERED.value:
        team = registry.teams.get(row.consumer_team)
        name = team.name if team else row.consumer_team
        mention = user_mention(row.requested_by)
        return f"{mention or escape(name)} to accept the counter-proposal or answer it"
    team = registry.teams.get(row.accountable_team)
    name = escape(team.name if team else row.accountable_team)
    return f"{name} to accept, counter-propose or decline"
