"""Data requests: making one, in one transaction with its messages and its timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.blocks import Block, section
from bot.blocks.escape import truncate
from bot.blocks.requests import (
    RequestView,
    render_request_root,
    render_request_text,
    render_roles_reply,
    render_submitted,
)
from bot.db.models import DataRequest, DataRequestEvent
from bot.outbox import POST_MESSAGE, UPDATE, enqueue
from bot.outbox.enqueue import utc
from bot.requests.history import on_time
from bot.requests.judge import judge_request
from ownership.model import Registry
from ownership.requests.existing import describe_existing, existing_contract
from ownership.requests.model import DataRequestForm, RequestState, form_from_dict, form_to_dict
from ownership.requests.routing import RequestRoute, route_request

Clock = Callable[[], datetime]
FALLBACK_LIMIT = 300
REMIND_AFTER = timedelta(days=1)  # nobody answered: a reminder in the thread


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    request_id: int | None = None
    changed: bool = True


def root_key(request_id: int) -> str:
    return f"request:{request_id}"


def add_event(
    session: Session,
    request_id: int,
    kind: str,
    now: datetime,
    actor: str | None = None,
    detail: str = "",
) -> None:
    session.add(
        DataRequestEvent(request_id=request_id, at=utc(now), kind=kind, actor=actor, detail=detail)
    )


def _payload(text: str, blocks: list[Block]) -> dict[str, object]:
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


class RequestService:
    def __init__(
        self,
        engine: Engine,
        registry: Callable[[], Registry],
        clock: Clock,
        registry_root: Path | None = None,
    ) -> None:
        """`registry_root` (the checkout) lets a change request be judged by the policy."""
        self.engine, self.registry, self.clock = engine, registry, clock
        self.registry_root = registry_root

    def submit(self, form: DataRequestForm, actor: str) -> Reply:
        """Record the request and post it where the RACI row for data contracts says."""
        registry, now = self.registry(), self.clock()
        route = route_request(registry, form.source, form.consumer_team)
        if route.channel is None or not route.accountable:
            return Reply(
                "Nobody is Accountable for data contracts with a channel in the registry: "
                "add a `data_contracts` row to the RACI and an `oncall_channel` to that team.",
                changed=False,
            )
        contract = existing_contract(registry, form.source)
        judged = None  # a change request, judged before the transaction (it loads files)
        if contract is not None and self.registry_root is not None:
            judged = judge_request(registry, self.registry_root, contract, form, now.date())
        with Session(self.engine) as session, session.begin():
            history = on_time(session, contract.id, now) if contract else None
            row = DataRequest(
                source=form.source,
                what=form.what,
                consumer_team=form.consumer_team,
                accountable_team=route.accountable[0].id,
                requested_by=actor,
                terms=json.dumps(form_to_dict(form), ensure_ascii=False),
                route=json.dumps(_route_dict(route)),
                state=RequestState.OPEN.value,
                channel=route.channel,
                created_at=utc(now),
                updated_at=utc(now),
                next_reminder_at=utc(now + REMIND_AFTER),
            )
            session.add(row)
            session.flush()
            add_event(session, row.id, "opened", now, actor, truncate(form.what, 500))
            view = self._view(registry, row, describe_existing(contract, history))
            enqueue(
                session,
                method=POST_MESSAGE,
                channel=route.channel,
                now=now,
                payload=_payload(render_request_text(view), render_request_root(view)),
                root_key=root_key(row.id),
                is_root=True,
            )
            roles = render_roles_reply(route.accountable, route.responsible, route.consulted)
            self.reply(session, row.id, route.channel, roles, now)
            add_event(session, row.id, "tagged", now, detail=_tagged(route))
            if judged is not None and contract is not None:
                said, judgement = judged
                self.reply(session, row.id, route.channel, said, now)
                blocked = len(judgement.blocked) if judgement else 0
                add_event(
                    session,
                    row.id,
                    "judged",
                    now,
                    detail=f"change to {contract.id}: {blocked} breaking change(s) held "
                    "by the change policy",
                )
            return Reply(render_submitted(row.id, route.channel), row.id)

    def reply(
        self, session: Session, request_id: int, channel: str, text: str, now: datetime
    ) -> None:
        """A reply in the request's thread; `text` is mrkdwn, escaped already."""
        enqueue(
            session,
            method=POST_MESSAGE,
            channel=channel,
            now=now,
            payload=_payload(truncate(text, FALLBACK_LIMIT), [section(text)]),
            root_key=root_key(request_id),
            in_thread=True,
        )

    def edit_root(self, session: Session, row: DataRequest, existing: str, now: datetime) -> None:
        view = self._view(self.registry(), row, existing)
        enqueue(
            session,
            method=UPDATE,
            channel=row.channel,
            now=now,
            payload=_payload(render_request_text(view), render_request_root(view)),
            root_key=root_key(row.id),
        )

    def open_for(self, source: str) -> list[DataRequest]:
        """Requests on `source` still waiting for an answer (for `/whoowns`)."""
        states = [s.value for s in RequestState if s.is_open]
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(DataRequest)
                    .where(DataRequest.source == source, DataRequest.state.in_(states))
                    .order_by(DataRequest.id)
                )
            )

    def terms_of(self, request_id: int) -> DataRequestForm | None:
        """The terms as they stand (the last counter-proposal's, if any)."""
        with Session(self.engine) as session:
            row = session.get(DataRequest, request_id)
            return form_from_dict(json.loads(row.terms)) if row is not None else None

    def timeline(self, request_id: int) -> list[DataRequestEvent]:
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(DataRequestEvent)
                    .where(DataRequestEvent.request_id == request_id)
                    .order_by(DataRequestEvent.id)
                )
            )

    @staticmethod
    def _view(registry: Registry, row: DataRequest, existing: str) -> RequestView:
        consumer = registry.teams.get(row.consumer_team)
        return RequestView(
            id=row.id,
            form=form_from_dict(json.loads(row.terms)),
            state=RequestState(row.state),
            requested_by=row.requested_by,
            consumer_name=consumer.name if consumer else row.consumer_team,
            existing=existing,
            reason=row.decline_reason,
            pull_request=row.pull_request,
        )


def _route_dict(route: RequestRoute) -> dict[str, list[str]]:
    return {
        "accountable": [t.id for t in route.accountable],
        "responsible": [t.id for t in route.responsible],
        "consulted": [t.id for t in route.consulted],
    }


def _tagged(route: RequestRoute) -> str:
    parts = [
        f"{word}: {', '.join(t.name for t in teams) or 'nobody'}"
        for word, teams in (
            ("A", route.accountable),
            ("R", route.responsible),
            ("C", route.consulted),
        )
    ]
    return "; ".join(parts)
