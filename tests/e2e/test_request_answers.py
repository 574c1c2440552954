"""Answering a data request end to end, on SQLite and PostgreSQL: Data Eng counter-proposes,
the requester accepts; a decline says why; strangers are told who may; reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import DataRequest, DataRequestEvent
from tests.e2e.incident_scene import Scene
from tests.e2e.request_scene import (
    ALICE,
    DANA,
    counter_values,
    make_request,
    modal_after,
    press,
    rscene,
    thread_texts,
)
from tests.e2e.surfaces_scene import submit_values
from tests.fakes.fake_slack import wait_for

__all__ = ["rscene"]  # the fixture


def row(rscene: Scene) -> DataRequest:
    with Session(rscene.services.engine) as s:
        found = s.get(DataRequest, 1)
        assert found is not None
        return found


def kinds(rscene: Scene) -> list[str]:
    with Session(rscene.services.engine) as s:
        return list(s.scalars(select(DataRequestEvent.kind).order_by(DataRequestEvent.id)))


def test_a_counter_proposal_and_its_acceptance(rscene: Scene) -> None:
    make_request(rscene)
    # the requester cannot accept their own request: Data Eng decides first
    told = press(rscene, ids.ACCEPT_REQUEST_ACTION, user=DANA)
    assert "Only the Accountable team" in rscene.answer(told)["text"]
    view = modal_after(rscene, ids.COUNTER_REQUEST_ACTION, user=ALICE)
    assert view["callback_id"] == ids.COUNTER_REQUEST_VIEW
    values = counter_values(at="03:00", max_delay="1 hour",
                            columns="customer_id: string required\nsignup_date: date",
                            note="the nightly load ends at 02:40")
    assert submit_values(rscene, ids.COUNTER_REQUEST_VIEW, view["private_metadata"], values,
                         user=ALICE).status_code == 200
    wait_for(lambda: row(rscene).state == "countered", message="countered")
    answer = modal_after(rscene, ids.COUNTER_REQUEST_ACTION, user=DANA)
    assert answer["title"]["text"] == "Answer with terms"  # the requester answers a counter
    press(rscene, ids.ACCEPT_REQUEST_ACTION, user=DANA)
    wait_for(lambda: row(rscene).state == "accepted", message="accepted")
    rscene.deliver()
    thread = "\n".join(thread_texts(rscene))
    assert "freshness daily by 03:00 UTC, late after 1 hour (was daily by 02:00 UTC" in thread
    assert "drops `segment`" in thread
    assert "the nightly load ends at 02:40" in thread
    assert f"<@{DANA}> accepted the terms" in thread
    wait_for(lambda: "pull_request" in kinds(rscene), message="the pull request step")
    assert kinds(rscene) == ["opened", "tagged", "judged", "countered", "accepted", "pull_request"]
    assert row(rscene).next_reminder_at is None
    told = press(rscene, ids.DECLINE_REQUEST_ACTION, user=ALICE)
    assert rscene.answer(told)["text"] == "This request is accepted already: nothing to answer."


def test_a_decline_says_why(rscene: Scene) -> None:
    make_request(rscene)
    view = modal_after(rscene, ids.DECLINE_REQUEST_ACTION, user=ALICE)
    empty = {"reason": {"reason": {"type": "plain_text_input", "value": " "}}}
    refused = submit_values(rscene, ids.DECLINE_REQUEST_VIEW, view["private_metadata"], empty,
                            user=ALICE)
    assert refused.json()["response_action"] == "errors"
    reason = {"reason": {"reason": {"type": "plain_text_input",
                                    "value": "PII: use the <anonymised> view"}}}
    submit_values(rscene, ids.DECLINE_REQUEST_VIEW, view["private_metadata"], reason, user=ALICE)
    wait_for(lambda: row(rscene).state == "declined", message="declined")
    rscene.deliver()
    assert any("declined: PII: use the &lt;anonymised&gt; view" in t for t in thread_texts(rscene))
    edits = [r.body for r in rscene.slack.calls("chat.update")]
    assert "*Declined:* PII: use the &lt;anonymised&gt; view" in str(edits[-1]["blocks"])
    assert row(rscene).decline_reason == "PII: use the <anonymised> view"


def test_nobody_answers_a_reminder_comes_once_a_day(rscene: Scene) -> None:
    make_request(rscene)
    steps = rscene.services.request_steps
    assert steps is not None
    assert steps.remind_due() == 0
    rscene.clock.advance(seconds=timedelta(days=1, minutes=1).total_seconds())
    assert steps.remind_due() == 1
    assert steps.remind_due() == 0  # not twice
    rscene.deliver()
    assert any("No answer yet: waiting on Data Engineering" in t for t in thread_texts(rscene))
    assert kinds(rscene)[-1] == "reminder"
