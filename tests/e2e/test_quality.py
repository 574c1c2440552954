"""Data quality end to end on the example registry: a table that arrives on time with nulls in
a required column alerts its owner's on-call channel once (column and count), informs the
consumers, shows in a signed `/whoowns`, and a clean reload resolves it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Date, DateTime, Float, Integer, MetaData, String, Table, update

from tests.e2e.conftest import Alerting
from tests.e2e.test_whoowns_command import ask, shown

LOADED = datetime(2026, 3, 10, 1, 40, tzinfo=UTC)  # on time for the 02:00 deadline
OWNER = "#data-eng-oncall"


def test_nulls_alert_the_owner_inform_consumers_show_in_whoowns_and_resolve(
    alerting: Alerting,
) -> None:
    services = alerting.services
    customers = Table(
        "customers",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("customer_id", String(20)),
        Column("signup_date", Date),
        Column("monthly_charges", Float),
        Column("updated_at", DateTime(timezone=True)),
    )
    customers.create(services.engine)
    with services.engine.begin() as conn:
        conn.execute(
            customers.insert(),
            [
                {
                    "id": i,
                    "customer_id": None if i < 5 else f"c{i}",
                    "signup_date": LOADED.date(),
                    "monthly_charges": 9.5,
                    "updated_at": LOADED,
                }
                for i in range(20)
            ],
        )
    [fresh] = services.freshness.check(["customer_master_db"])
    assert fresh.evaluation.state.value == "on_time"
    assert services.quality is not None
    [report] = services.quality.check(["customer_master_db"])
    assert report.actions == ("completeness:customer_id: alert opened",)
    alerting.deliver(8)

    posts = [r.body for r in alerting.bot.slack.calls("chat.postMessage")]
    roots = [p for p in posts if "thread_ts" not in p]
    owner_roots = [p for p in roots if p["channel"] == OWNER]
    assert len(owner_roots) == 1
    assert "5 nulls in customer_id of 20 rows" in owner_roots[0]["text"]
    informed = [p for p in roots if p["channel"] != OWNER]
    assert len(informed) == 2  # MLOps Churn and MLOps Recommender, in their own channels
    assert all("which you depend on" in p["text"] for p in informed)

    answer = shown(ask(alerting.bot, "customers"))
    assert "quality 1 of 5 checks failing" in answer
    assert "5 nulls in customer_id" in answer

    with services.engine.begin() as conn:  # the clean reload
        conn.execute(
            update(customers)
            .where(customers.c.customer_id.is_(None))
            .values(customer_id="fixed", updated_at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
        )
    services.freshness.check(["customer_master_db"])
    [report] = services.quality.check(["customer_master_db"])
    assert report.actions == ("completeness:customer_id: resolved",)
    alerting.deliver(8)
    assert "quality passed (5 checks" in shown(ask(alerting.bot, "customers"))
    replies = [
        r.body
        for r in alerting.bot.slack.calls("chat.postMessage")
        if r.body.get("thread_ts") and "passes again" in r.body["text"]
    ]
    assert len(replies) == 3  # the owner's thread and both consumers'
