"""Data requests end to end, on SQLite and PostgreSQL: MLOps asks in a modal, the request lands
in Data Eng's channel with the roles of the RACI row for data contracts and what exists."""

from __future__ import annotations

import json
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import DataRequest, DataRequestEvent
from tests.e2e.incident_scene import FORM, Scene
from tests.e2e.request_scene import (
    DANA,
    DATA_ENG_CHANNEL,
    open_modal,
    posts_in,
    rollups,
    rscene,
    submit,
    values,
)
from tests.fakes.fake_slack import wait_for
from tests.fakes.signing import TEAM_ID, command_body

__all__ = ["rscene"]  # the fixture


def requests(rscene: Scene) -> list[DataRequest]:
    with Session(rscene.services.engine) as s:
        return list(s.scalars(select(DataRequest)))


def test_a_request_by_mlops_reaches_data_eng_with_its_roles_and_history(rscene: Scene) -> None:
    rollups(rscene, "customer_master_db", on_time=29, late=1)
    view = open_modal(rscene)
    assert view["callback_id"] == ids.REQUEST_VIEW
    blocks = {b["block_id"]: b for b in view["blocks"] if b.get("block_id")}
    assert blocks["source"]["element"]["initial_option"]["value"] == "customer_master_db"
    assert blocks["consumer_team"]["element"]["initial_option"]["value"] == "mlops_churn"

    assert submit(rscene, view).status_code == 200
    wait_for(lambda: requests(rscene), message="the request row")
    rscene.deliver()
    [root, *thread] = posts_in(rscene, DATA_ENG_CHANNEL)
    text = json.dumps(root["blocks"], ensure_ascii=False)
    assert "Data request #1" in text
    assert f"<@{DANA}>" in text
    assert "Churn model &lt;v2&gt; &amp; retraining" in text  # escaped
    assert ("customer_master_db is daily, due 02:00 UTC, late after 02:30 UTC; "
            "on time 29 of 30 days") in text
    [roles, policy] = [json.dumps(t["blocks"]) for t in thread if t.get("thread_ts")]
    assert "A change to `customer_master_db`" in policy
    assert "*Accountable* (accepts, counter-proposes or declines): <!subteam^S0DATAENG>" in roles
    assert "*Responsible* (specifies the requirements): <!subteam^S0MLCHURN>" in roles
    assert "*Consulted*: <!subteam^S0PRODUCT>" in roles
    assert "S0MLRECO" not in roles  # only the requesting MLOps team is Responsible
    [row] = requests(rscene)
    assert (row.state, row.accountable_team, row.consumer_team) == (
        "open", "data_engineering", "mlops_churn")
    with Session(rscene.services.engine) as s:
        kinds = list(s.scalars(select(DataRequestEvent.kind).order_by(DataRequestEvent.id)))
    assert kinds == ["opened", "tagged", "judged"]
    told = rscene.slack.calls("chat.postEphemeral")[-1].body
    assert told["user"] == DANA
    assert "Data request #1 is posted in" in told["text"]


def test_a_bad_field_is_answered_in_the_modal_and_nothing_is_posted(rscene: Scene) -> None:
    view = open_modal(rscene)
    response = submit(rscene, view, timezone="Mars/Olympus", columns="age: int-ish")
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"timezone", "columns"}
    assert "IANA" in body["errors"]["timezone"]
    assert requests(rscene) == []


def test_whoowns_offers_the_request_button_on_an_asset(rscene: Scene) -> None:
    body = command_body("customer_master_db", response_url=rscene.slack.response_url("w1"),
                        user_id=DANA)
    answer = rscene.sender.post(body, FORM).json()
    buttons = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [button] = [e for e in buttons if e.get("action_id") == ids.REQUEST_DATA_ACTION]
    assert button["value"] == "customer_master_db"


def test_a_change_request_is_judged_by_the_change_policy(rscene: Scene) -> None:
    """A type change is breaking: held for the other consumers' consent or 30 days' notice;
    a new optional column is not."""
    view = open_modal(rscene)
    submit(rscene, view, columns="monthly_charges: integer required\nsegment: string optional")
    wait_for(lambda: requests(rscene), message="the request row")
    rscene.deliver()
    [policy] = [json.dumps(t["blocks"], ensure_ascii=False) for t in
                posts_in(rscene, DATA_ENG_CHANNEL) if "demarc diff" in json.dumps(t["blocks"])]
    assert "monthly_charges" in policy
    assert "(breaking)" in policy
    assert "segment" in policy
    assert "(non-breaking)" in policy
    assert ":no_entry: monthly_charges needs the consent of mlops_recommender, or its notice " \
           "period: no change notice covers it; the contract promises 30 days' notice" in policy


def test_whoowns_shows_the_assets_open_requests(rscene: Scene) -> None:
    def answer() -> str:
        body = command_body("customer_master_db",
                            response_url=rscene.slack.response_url(rscene.next_id("w")),
                            user_id=DANA)
        return json.dumps(rscene.sender.post(body, FORM).json()["blocks"])

    assert "Open data requests" not in answer()
    submit(rscene, open_modal(rscene))
    wait_for(lambda: requests(rscene), message="the request row")
    assert "Open data requests: #1 (open, for MLOps Churn)" in answer()


def test_a_replayed_submission_posts_one_request(rscene: Scene) -> None:
    view = open_modal(rscene)
    payload = {
        "type": "view_submission", "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": DANA, "username": "u", "name": "u", "team_id": TEAM_ID},
        "api_app_id": "A0DEMARC01", "token": "legacy-verification-token",
        "trigger_id": "1111.2222.trigger",
        "view": {"id": "V0SAMEVIEW", "team_id": TEAM_ID, "type": "modal",
                 "callback_id": ids.REQUEST_VIEW, "private_metadata": view["private_metadata"],
                 "hash": "1.abc", "blocks": [], "state": {"values": values()}},
        "response_urls": [],
    }
    for _ in range(2):
        body = "payload=" + quote(json.dumps(payload))
        assert rscene.sender.post(body, FORM).status_code == 200
    wait_for(lambda: len(rscene.slack.calls("chat.postEphemeral")) >= 1, message="told")
    rscene.deliver()
    assert len(requests(rscene)) == 1
