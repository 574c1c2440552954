"""`/whoowns`: signed slash commands in, ephemeral answers out, and the Share button."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import ids
from bot.slack.listeners.actions import CANNOT_POST_TEXT
from ownership.oncall import on_call
from ownership.sla import describe_sla
from tests.e2e.conftest import NOW, Running
from tests.fakes.fake_slack import wait_for
from tests.fakes.signing import CHANNEL_ID


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def ask(bot: Running, text: str) -> dict[str, Any]:
    response = bot.sender.command(text)
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return dict(body)


def shown(body: dict[str, Any]) -> str:
    return "\n".join(strings(body.get("blocks", [])))


def test_whoowns_customer_age(bot: Running) -> None:
    body = ask(bot, "customer_age")
    text = shown(body)
    registry = bot.holder.registry
    churn_oncall = on_call(registry.teams["mlops_churn"], NOW)
    assert churn_oncall is not None
    assert churn_oncall.slack_id
    assert body["blocks"][0]["text"]["text"] == "customer_age (feature)"
    # A question is not a page: named, never mentioned (no user group, no person).
    assert f"*R/A*  *MLOps Churn* (@mlops-churn) — on call: {churn_oncall.name}" in text
    assert "<@" not in text
    assert "<!subteam" not in text
    assert "*C*  *Data Engineering* (@data-eng)" in text
    assert "S0DATAENG" not in text
    source_contract = registry.contract_for("customer_master_db")
    assert source_contract is not None
    assert source_contract.sla is not None
    assert (
        "⬆ customer_master_db (source) — R/A Data Engineering"
        f" · contract: {describe_sla(source_contract.sla)}"
    ) in text
    assert "<https://wiki.company.com/runbooks/churn-features|Runbook>" in text
    assert body["text"].startswith("customer_age (feature): R/A MLOps Churn")
    # Answered in the HTTP response: nothing else was sent to Slack.
    assert not [r for r in bot.slack.requests if r.method.startswith("chat.")]


def test_whoowns_a_source_shows_its_contract(bot: Running) -> None:
    contract = bot.holder.registry.contract_for("customer_master_db")
    assert contract is not None
    assert contract.sla is not None
    words = describe_sla(contract.sla)
    text = shown(ask(bot, "customer_master_db"))
    assert f"Contract: {words} · owner Data Engineering" in text
    assert "daily" in words


def test_whoowns_an_activity_lists_each_teams_role(bot: Running) -> None:
    body = ask(bot, "feature engineering")
    text = shown(body)
    assert body["blocks"][0]["text"]["text"] == "Feature engineering (activity)"
    assert "*R/A*  *MLOps Churn* (@mlops-churn)" in text
    assert "*R/A*  *MLOps Recommender* (@mlops-reco)" in text
    assert "*C*  *Data Engineering*" in text  # named: a shared answer pings only R and A
    assert "S0DATAENG" not in text


def test_empty_text_gives_usage(bot: Running) -> None:
    body = ask(bot, "   ")
    assert "/whoowns customer_age" in body["text"]
    assert not [b for b in body["blocks"] if b["type"] == "actions"]


def test_unknown_name_gives_suggestions_and_no_share_button(bot: Running) -> None:
    body = ask(bot, "custmer_age")
    assert body["text"].startswith("No asset or activity called `custmer_age`. Did you mean: ")
    assert "customer_age" in body["text"].split("Did you mean:")[1]
    assert not [b for b in body["blocks"] if b["type"] == "actions"]


def test_channel_ping_in_the_query_comes_back_escaped(bot: Running) -> None:
    for query in ("<!channel>", "&lt;!channel&gt;"):  # raw, and as Slack escapes it
        response = bot.sender.command(query)
        body = response.json()
        assert "&lt;!channel&gt;" in body["text"]
        assert not any("<!channel" in s for s in strings(body))
        assert "<!channel>" not in response.text


def share_button(body: dict[str, Any]) -> dict[str, Any]:
    actions = [b for b in body["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1
    return dict(actions[0]["elements"][0])


def test_share_posts_in_the_channel_and_deletes_the_ephemeral(bot: Running) -> None:
    body = ask(bot, "age")
    button = share_button(body)
    assert button["action_id"] == ids.SHARE_ANSWER_ACTION

    response = bot.sender.action(button["action_id"], button["value"], response_id="share-1")
    assert response.status_code == 200

    wait_for(lambda: bot.slack.responses("share-1"), message="the ephemeral to be deleted")
    posts = bot.slack.calls("chat.postMessage")
    assert len(posts) == 1
    post = posts[0].body
    assert post["channel"] == CHANNEL_ID
    assert "thread_ts" not in post
    text = "\n".join(strings(post["blocks"]))
    assert "customer_age (feature)" in text
    # A shared answer pings nobody: names and handles as text, the sharer by name.
    assert "*MLOps Churn* (@mlops-churn)" in text
    assert "Shared by asker" in text
    assert not any(p in json.dumps(post) for p in ("<@", "<!subteam", "<!channel", "<!here"))
    assert not [b for b in post["blocks"] if b["type"] == "actions"]
    assert posts[0].headers["authorization"] == "Bearer xoxb-e2e-token"
    assert [r.body for r in bot.slack.responses("share-1")] == [
        {"text": "", "delete_original": True}
    ]


def test_share_where_demarc_is_not_a_member_explains_and_keeps_the_ephemeral(
    bot: Running,
) -> None:
    bot.slack.fail_next("chat.postMessage", error="not_in_channel")
    response = bot.sender.action(ids.SHARE_ANSWER_ACTION, "customer_age", response_id="share-2")
    assert response.status_code == 200
    wait_for(lambda: bot.slack.responses("share-2"), message="an explanation")
    replies = [r.body for r in bot.slack.responses("share-2")]
    assert replies == [
        {"text": CANNOT_POST_TEXT, "response_type": "ephemeral", "replace_original": False}
    ]


def test_share_waits_out_a_rate_limit(bot: Running) -> None:
    bot.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    bot.sender.action(ids.SHARE_ANSWER_ACTION, "customer_age", response_id="share-3")
    wait_for(lambda: bot.slack.responses("share-3"), message="the share to go through")
    assert len(bot.slack.calls("chat.postMessage")) == 2
    assert bot.slack.responses("share-3")[0].body.get("delete_original") is True


def test_answer_json_is_what_slack_needs(bot: Running) -> None:
    body = ask(bot, "churn_model")
    assert set(body) == {"text", "blocks", "response_type"}
    json.dumps(body)  # plain JSON, no SDK objects
    assert len(body["blocks"]) <= 50
