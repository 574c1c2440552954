"""Incident Block Kit and `/incident` parsing: pings only where meant, escaping, buttons."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.blocks import ids
from bot.blocks.alerts import AlertView, render_alert
from bot.blocks.incident_modals import (
    NOTE_BLOCK,
    NOTE_INPUT,
    SIDE_BLOCK,
    SIDE_INPUT,
    TimelineEntry,
    read_metadata,
    read_submission,
    render_note_modal,
    render_resolve_modal,
    render_timeline,
)
from bot.blocks.incidents import (
    IncidentView,
    render_escalation,
    render_informed_notice,
    render_reminder,
    render_root,
    render_root_text,
    render_tags,
)
from bot.incidents.parse import (
    OpenRequest,
    TimelineRequest,
    Usage,
    incident_mention,
    parse_incident,
)
from bot.registry.holder import RegistryHolder
from bot.settings import Settings
from bot.slack.app import create_app
from bot.slack.listeners import routes_of
from ownership.incident_plan import IncidentPlan, TeamRef
from ownership.incidents import BoundarySide, Severity, Status
from ownership.model import Contract, Registry

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PINGS = ("<@", "<!subteam", "<!channel", "<!here", "<!everyone")
EVIL = "wrong <!channel> <@U0EVIL001> <!subteam^S0EVIL> & <https://x|y>"

CHURN = TeamRef("mlops_churn", "MLOps Churn", "S0MLCHURN", "U0DANAKOW", "Dana Kowalski",
                "#mlops-churn-oncall", ("Responsible for customer_age",))
DATA_ENG = TeamRef("data_engineering", "Data Engineering", "S0DATAENG", "U0ALICE01",
                   "Alice Moreau", "#data-eng-oncall", ("Responsible for upstream x (late)",))
PRODUCT = TeamRef("product", "Product <Analytics>", "S0PRODUCT")
RECO = TeamRef("mlops_recommender", "MLOps Recommender", "S0MLRECO1", channel="#reco")
PLAN = IncidentPlan("customer_age", "#mlops-churn-oncall", (CHURN, DATA_ENG), (CHURN,),
                    (PRODUCT,), (RECO,), (("customer_master_db", "late"),))


def view(**changes: Any) -> IncidentView:
    base: dict[str, Any] = {
        "id": 7, "asset": "customer_age", "summary": EVIL, "severity": Severity.SEV2,
        "status": Status.OPEN, "plan": PLAN, "now": NOW, "opened_at": NOW,
        "opened_by": "U0ASKER001", "escalate_at": NOW + timedelta(minutes=15),
    }
    base.update(changes)
    return IncidentView(**base)


def text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_informed_notice_pings_nobody_whatever_the_summary_says() -> None:
    for resolved in (False, True):
        text = render_informed_notice(view(resolved_at=NOW), resolved=resolved)
        assert not any(ping in text for ping in PINGS), text
        assert "\n" not in text  # one line
    assert "&lt;!channel&gt;" in render_informed_notice(view())


def test_root_names_people_without_pinging_them_and_escapes_the_summary() -> None:
    blocks = render_root(view())
    text = text_of(blocks)
    assert "Dana Kowalski" in text
    assert "<@U0DANAKOW>" not in text  # tagged in the thread, not on the root
    assert "<!channel>" not in text
    assert "<@U0EVIL001>" not in text
    assert "&lt;!channel&gt;" in text
    assert "SEV2" in text
    assert "escalates at 12:15 UTC" in text
    assert "`customer_master_db` late" in text
    assert "<!channel>" not in render_root_text(view())


def test_root_buttons_follow_the_state() -> None:
    assert action_ids(render_root(view())) == [
        ids.ACKNOWLEDGE_INCIDENT_ACTION, ids.ESCALATE_INCIDENT_ACTION,
        ids.RESOLVE_INCIDENT_ACTION, ids.NOTE_INCIDENT_ACTION]
    acked = view(status=Status.ACKNOWLEDGED, acknowledged_by="U0DANAKOW", acknowledged_at=NOW)
    assert ids.ACKNOWLEDGE_INCIDENT_ACTION not in action_ids(render_root(acked))
    escalated = view(status=Status.ESCALATED, escalated_at=NOW)
    assert ids.ESCALATE_INCIDENT_ACTION not in action_ids(render_root(escalated))
    assert "demarc (nobody acknowledged)" in text_of(render_root(escalated))
    resolved = view(status=Status.RESOLVED, resolved_by="U0DANAKOW", resolved_at=NOW,
                    side=BoundarySide.DATA)
    assert action_ids(render_root(resolved)) == []
    assert "cause: *Data*" in text_of(render_root(resolved))
    reminder = render_reminder(view(now=NOW + timedelta(hours=1)))
    assert action_ids(reminder) == [ids.RESOLVE_INCIDENT_ACTION, ids.NOTE_INCIDENT_ACTION]
    assert all(b["value"] == "7" for b in render_root(view())[-1]["elements"])


def test_tags_bring_in_both_on_calls_and_mention_the_consulted() -> None:
    text = render_tags(view(), timedelta(minutes=15))
    assert "• <@U0DANAKOW> *MLOps Churn* on call: Responsible for customer_age" in text
    assert "• <@U0ALICE01> *Data Engineering* on call" in text
    assert "Accountable: *MLOps Churn* (tagged if this is escalated)" in text
    assert "<!subteam^S0MLCHURN>" not in text  # the Accountable only on escalation
    assert "Consulted: <!subteam^S0PRODUCT> Product &lt;Analytics&gt;" in text
    assert "Informed: MLOps Recommender (notice in #reco)" in text
    assert "15 min" in text


def test_a_team_without_rotation_gets_its_user_group_or_is_named() -> None:
    no_rotation = TeamRef("t", "Team", "S0TEAM001")
    nothing = TeamRef("u", "Other")
    plan = IncidentPlan("a", "#c", (no_rotation, nothing))
    text = render_tags(view(plan=plan), timedelta(minutes=5))
    assert "<!subteam^S0TEAM001> *Team* (no on-call rotation)" in text
    assert "*Other* (no on-call rotation or user group: nobody tagged)" in text


def test_escalation_tags_the_accountable_team() -> None:
    manual = render_escalation(view(severity=Severity.SEV1, escalated_by="U0ALICE01"), None)
    assert manual.startswith(":arrow_up: *Escalated to SEV1* by <@U0ALICE01>.")
    assert "<!subteam^S0MLCHURN> *MLOps Churn*: Accountable for `customer_age`" in manual
    auto = render_escalation(view(severity=Severity.SEV1), timedelta(minutes=15))
    assert "automatically: nobody acknowledged within 15 min" in auto


def test_modals_carry_the_incident_and_read_back() -> None:
    modal = render_resolve_modal(view(), "C0CHANNEL1")
    assert modal["callback_id"] == ids.RESOLVE_INCIDENT_VIEW
    assert read_metadata(modal["private_metadata"]) == (7, "C0CHANNEL1")
    sides = [o["value"] for o in modal["blocks"][1]["element"]["options"]]
    assert sides == ["data", "feature_model", "both", "external"]
    assert len(modal["title"]["text"]) <= 24
    assert "<!channel>" not in text_of([modal])
    note = render_note_modal(view(), None)
    assert note["callback_id"] == ids.NOTE_INCIDENT_VIEW
    values = {NOTE_BLOCK: {NOTE_INPUT: {"value": "  fixed  "}},
              SIDE_BLOCK: {SIDE_INPUT: {"selected_option": {"value": "both"}}}}
    assert read_submission(values) == ("fixed", "both")
    assert read_submission({}) == ("", None)


@pytest.mark.parametrize("raw", ["", "{", "[]", '{"incident": "7"}', '{"incident": true}',
                                 '{"incident": -1}'])
def test_tampered_metadata_is_ignored(raw: str) -> None:
    assert read_metadata(raw)[0] is None


def test_alert_offers_open_incident_until_one_is_linked() -> None:
    contract = Contract("customer_master_db", "customer_master_db", "data_engineering")
    alert = AlertView(3, contract, "late", "open", "daily", None, None, (), NOW)
    buttons = [e for b in render_alert(alert) if b["type"] == "actions" for e in b["elements"]]
    opener = [e for e in buttons if e["action_id"] == ids.OPEN_INCIDENT_ACTION]
    assert opener[0]["value"] == "3"
    linked = AlertView(3, contract, "late", "open", "daily", None, None, (), NOW,
                       incident_ref="#1")
    assert ids.OPEN_INCIDENT_ACTION not in text_of(render_alert(linked))
    assert "Incident: #1" in text_of(render_alert(linked))


# ---------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('customer_age "predictions wrong"', OpenRequest("customer_age", "predictions wrong")),
        ("customer_age predictions wrong sev1",
         OpenRequest("customer_age", "predictions wrong", Severity.SEV1)),
        ("customer_age SEV3 predictions wrong",
         OpenRequest("customer_age", "predictions wrong", Severity.SEV3)),
        ("`age` “nulls everywhere”", OpenRequest("age", "nulls everywhere")),
        ("customer_age", Usage("empty summary")),
        ("customer_age sev1", Usage("empty summary")),
        ("", Usage()),
        ("help", Usage()),
        ("timeline", TimelineRequest()),
        ("timeline 12", TimelineRequest(12)),
        ("timeline #12", TimelineRequest(12)),
        ("timeline twelve", Usage("not an incident number")),
        ("a &lt;b&gt; c", OpenRequest("a", "<b> c")),
    ],
)
def test_parse_incident(text: str, expected: object) -> None:
    assert parse_incident(text) == expected


def test_incident_mentions_are_recognised() -> None:
    assert incident_mention("<@U0DEMARCBT> incident customer_age wrong") == " customer_age wrong"
    assert incident_mention("<@U0DEMARCBT> Incident: x") == ": x"
    assert incident_mention("<@U0DEMARCBT> who owns incidents?") is None
    assert incident_mention("<@U0DEMARCBT> incidents") is None


def test_every_incident_route_is_registered() -> None:
    settings = Settings(slack_bot_token="xoxb-test", slack_signing_secret="s",
                        slack_api_url="http://127.0.0.1:9/api/")
    app = create_app(settings, RegistryHolder(Registry()))
    routes = routes_of(app)
    assert {r.id for r in routes if r.kind == "view"} == ids.VIEWS
    assert {r.id for r in routes if r.kind == "action"} >= ids.INCIDENT_ACTIONS
    assert ids.INCIDENT_COMMAND in {r.id for r in routes if r.kind == "command"}


def test_timeline_times_keep_zero_padding_date_and_year() -> None:
    entries = [
        TimelineEntry(datetime(2025, 12, 1, 2, 7, tzinfo=UTC), "opened", "U0ASKER001", "x"),
        TimelineEntry(datetime(2026, 3, 1, 2, 7, tzinfo=UTC), "note", "U0ASKER001", "y"),
        TimelineEntry(datetime(2026, 3, 10, 2, 7, tzinfo=UTC), "note", "U0ASKER001", "z"),
    ]
    text = text_of(render_timeline(view(), entries))
    assert "`Dec 01, 2025 02:07 UTC`" in text
    assert "`Mar 01 02:07 UTC`" in text
    assert "`02:07 UTC`" in text


def test_escalation_that_keeps_the_severity_does_not_claim_a_change() -> None:
    same = render_escalation(view(severity=Severity.SEV1, escalated_by="U0ALICE01"), None,
                             Severity.SEV1)
    assert "Escalated to" not in same
    assert same.startswith(":arrow_up: *Escalated* (it stays SEV1, the highest severity) by")
    raised = render_escalation(view(severity=Severity.SEV1, escalated_by="U0ALICE01"), None,
                               Severity.SEV2)
    assert raised.startswith(":arrow_up: *Escalated to SEV1* by <@U0ALICE01>.")
