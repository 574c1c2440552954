"""The incident domain: severities, the state machine, timers, permissions, the RACI fan-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ownership.errors import InvalidValue
from ownership.incident_plan import (
    IncidentPlan,
    find_asset,
    incident_channel,
    plan_incident,
    suggest_assets,
)
from ownership.incidents import (
    DEFAULT_TIMERS,
    Action,
    BoundarySide,
    Changed,
    IncidentState,
    Refused,
    Severity,
    Status,
    Timers,
    Unchanged,
    decide,
    may_act,
    next_reminder,
    timers_after,
    timers_on_open,
)
from ownership.loader import load_registry
from ownership.model import Registry
from ownership.oncall import on_call
from tests.conftest import EXAMPLE_REGISTRY

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry() -> Registry:
    result = load_registry(EXAMPLE_REGISTRY)
    assert result.registry is not None
    return result.registry


def oncall_id(registry: Registry, team: str) -> str:
    person = on_call(registry.teams[team], NOW)
    assert person is not None
    assert person.slack_id is not None
    return person.slack_id


# ---------------------------------------------------------------------- severity
def test_severity_parses_and_raises() -> None:
    assert Severity.parse("SEV1") is Severity.SEV1
    assert Severity.parse(" sev3 ") is Severity.SEV3
    assert Severity.parse("sev4") is None
    assert Severity.parse("high") is None
    assert Severity.SEV3.raised() is Severity.SEV2
    assert Severity.SEV2.raised() is Severity.SEV1
    assert Severity.SEV1.raised() is Severity.SEV1
    assert Severity.SEV2.label == "SEV2"


def test_more_severe_incidents_escalate_and_remind_sooner() -> None:
    policies = [DEFAULT_TIMERS[s] for s in (Severity.SEV1, Severity.SEV2, Severity.SEV3)]
    assert [p.acknowledge_within for p in policies] == sorted(p.acknowledge_within
                                                              for p in policies)
    assert [p.remind_every for p in policies] == sorted(p.remind_every for p in policies)
    assert DEFAULT_TIMERS[Severity.SEV2].acknowledge_within == timedelta(minutes=15)


# ---------------------------------------------------------------------- the state machine
OPEN = IncidentState(Status.OPEN, Severity.SEV2)
ACKED = IncidentState(Status.ACKNOWLEDGED, Severity.SEV2, acknowledged=True)
ESCALATED = IncidentState(Status.ESCALATED, Severity.SEV1)
RESOLVED = IncidentState(Status.RESOLVED, Severity.SEV2, acknowledged=True)


def test_open_to_acknowledged_to_escalated_to_resolved() -> None:
    step = decide(OPEN, Action.ACKNOWLEDGE)
    assert step == Changed(ACKED)
    step = decide(ACKED, Action.ESCALATE)
    assert step == Changed(IncidentState(Status.ESCALATED, Severity.SEV1, acknowledged=True))
    assert isinstance(step, Changed)
    final = decide(step.state, Action.RESOLVE)
    assert isinstance(final, Changed)
    assert final.state.status is Status.RESOLVED


def test_escalating_raises_severity_once() -> None:
    assert decide(OPEN, Action.ESCALATE) == Changed(IncidentState(Status.ESCALATED, Severity.SEV1))
    assert decide(ESCALATED, Action.ESCALATE) == Unchanged("already escalated")


def test_an_escalated_incident_can_still_be_acknowledged_and_stays_escalated() -> None:
    step = decide(ESCALATED, Action.ACKNOWLEDGE)
    assert step == Changed(IncidentState(Status.ESCALATED, Severity.SEV1, acknowledged=True))


def test_acknowledging_twice_is_a_no_op() -> None:
    assert decide(ACKED, Action.ACKNOWLEDGE) == Unchanged("already acknowledged")


@pytest.mark.parametrize("action", list(Action))
def test_nothing_happens_to_a_resolved_incident(action: Action) -> None:
    decision = decide(RESOLVED, action)
    assert isinstance(decision, Refused)
    if action is Action.RESOLVE:
        assert decision.reason == "already resolved"


def test_a_note_is_legal_and_changes_no_state() -> None:
    assert decide(OPEN, Action.NOTE) == Changed(OPEN)


# ---------------------------------------------------------------------- timers
def test_timers_follow_the_incident() -> None:
    opened = timers_on_open(Severity.SEV2, NOW)
    assert opened == Timers(NOW + timedelta(minutes=15), NOW + timedelta(hours=1))
    later = NOW + timedelta(minutes=5)
    acked = timers_after(Action.ACKNOWLEDGE, opened, ACKED, later)
    assert acked == Timers(None, opened.remind_at)  # escalation stopped, reminder kept
    escalated = timers_after(Action.ESCALATE, opened, ESCALATED, later)
    assert escalated == Timers(None, later + DEFAULT_TIMERS[Severity.SEV1].remind_every)
    noted = timers_after(Action.NOTE, opened, OPEN, later)
    assert noted == Timers(opened.escalate_at, later + timedelta(hours=1))
    assert timers_after(Action.RESOLVE, opened, RESOLVED, later) == Timers()
    assert next_reminder(Severity.SEV3, NOW) == NOW + timedelta(hours=4)


def test_timers_refuse_naive_datetimes() -> None:
    with pytest.raises(InvalidValue):
        timers_on_open(Severity.SEV1, datetime(2026, 3, 10, 12, 0))


def test_boundary_sides_have_words() -> None:
    assert [s.value for s in BoundarySide] == ["data", "feature_model", "both", "external"]
    assert "Data Engineering" in BoundarySide.DATA.explanation
    assert "MLOps" in BoundarySide.FEATURE_MODEL.explanation


# ---------------------------------------------------------------------- the fan-out
def test_customer_age_tags_mlops_and_data_eng_when_customer_master_db_is_late(
    registry: Registry,
) -> None:
    plan = plan_incident(registry, registry.assets["customer_age"], NOW,
                         {"customer_master_db": "late"})
    responders = {ref.team_id: ref for ref in plan.responders}
    assert list(responders) == ["mlops_churn", "data_engineering"]  # the owner first
    assert responders["mlops_churn"].oncall_id == oncall_id(registry, "mlops_churn")
    assert responders["data_engineering"].oncall_id == oncall_id(registry, "data_engineering")
    assert "Responsible for upstream customer_master_db (late)" in (
        responders["data_engineering"].reasons)
    assert [ref.team_id for ref in plan.accountable] == ["mlops_churn"]
    assert [ref.team_id for ref in plan.consulted] == ["product"]
    assert [(ref.team_id, ref.channel) for ref in plan.informed] == [
        ("mlops_recommender", "#mlops-reco-oncall")]  # consumers of what broke
    assert plan.channel == "#mlops-churn-oncall"
    assert plan.broken_upstream == (("customer_master_db", "late"),)


def test_production_incident_row_tags_data_eng_even_when_nothing_upstream_is_late(
    registry: Registry,
) -> None:
    plan = plan_incident(registry, registry.assets["customer_age"], NOW, {})
    responders = {ref.team_id: ref for ref in plan.responders}
    assert set(responders) == {"mlops_churn", "data_engineering"}
    assert responders["data_engineering"].reasons == (
        "R in the RACI row Production incident",)
    assert plan.informed == ()
    assert plan.broken_upstream == ()


def test_without_the_production_incident_row_only_the_late_upstream_brings_data_eng(
    registry: Registry,
) -> None:
    activities = {k: v for k, v in registry.activities.items() if k != "production_incident"}
    bare = Registry(teams=registry.teams, assets=registry.assets, activities=activities,
                    kind_activities=registry.kind_activities, contracts=registry.contracts)
    quiet = plan_incident(bare, bare.assets["customer_age"], NOW, {})
    assert [ref.team_id for ref in quiet.responders] == ["mlops_churn"]
    late = plan_incident(bare, bare.assets["customer_age"], NOW, {"customer_master_db": "late"})
    assert [ref.team_id for ref in late.responders] == ["mlops_churn", "data_engineering"]


LINEAGE_REGISTRY = """\
teams:
  - {id: de, discipline: data_engineering, slack: {oncall_channel: "#de"}, members: [U0DE00001]}
  - {id: ml_a, discipline: mlops, slack: {oncall_channel: "#ml-a"}, members: [U0MLA0001]}
  - {id: ml_b, discipline: mlops, slack: {oncall_channel: "#ml-b"}, members: [U0MLB0001]}
assets:
  - {id: raw, kind: source, owner: de}
  - {id: feature_a, kind: feature, owner: ml_a, upstream: [raw]}
  - {id: lonely, kind: source, owner: de}
raci:
  activities:
    production_incident: {roles: {data_engineering: R, mlops: R}}
"""


def test_a_discipline_in_the_row_means_teams_in_the_lineage_not_everyone(
    tmp_path: Path,
) -> None:
    (tmp_path / "registry.yaml").write_text(LINEAGE_REGISTRY)
    loaded = load_registry(tmp_path).registry
    assert loaded is not None
    raw = plan_incident(loaded, loaded.assets["raw"], NOW, {})
    assert [ref.team_id for ref in raw.responders] == ["de", "ml_a"]  # ml_b uses nothing of it
    feature = plan_incident(loaded, loaded.assets["feature_a"], NOW, {})
    assert [ref.team_id for ref in feature.responders] == ["ml_a", "de"]
    lonely = plan_incident(loaded, loaded.assets["lonely"], NOW, {})
    assert [ref.team_id for ref in lonely.responders] == ["de"]  # no MLOps team has a stake


def test_a_source_brings_the_mlops_teams_that_use_it(registry: Registry) -> None:
    # The matrix Informs every MLOps team of ingestion; only those with a stake respond.
    billing = plan_incident(registry, registry.assets["billing_stripe"], NOW, {})
    assert [ref.team_id for ref in billing.responders] == ["data_engineering", "mlops_churn"]
    crm = plan_incident(registry, registry.assets["customer_master_db"], NOW, {})
    assert [ref.team_id for ref in crm.responders] == [
        "data_engineering", "mlops_churn", "mlops_recommender"]  # both consume it


def test_a_team_without_rotation_is_named_without_an_oncall(registry: Registry) -> None:
    plan = plan_incident(registry, registry.assets["churn_dashboard"], NOW, {})
    product = next(ref for ref in plan.responders if ref.team_id == "product")
    assert product.oncall_id is None
    assert product.usergroup_id == "S0PRODUCT"
    # Product has no channel: the incident goes where its upstream's owner is on call
    assert plan.channel == "#mlops-churn-oncall"


def test_incident_channel_prefers_the_asset_then_the_owner(registry: Registry) -> None:
    from dataclasses import replace

    asset = replace(registry.assets["customer_age"], incident_channel="#churn-incidents")
    assert incident_channel(registry, asset) == "#churn-incidents"
    team = replace(registry.teams["mlops_churn"], incident_channel="#ml-incidents")
    teams = {**registry.teams, "mlops_churn": team}
    other = Registry(teams=teams, assets=registry.assets, activities=registry.activities,
                     kind_activities=registry.kind_activities, contracts=registry.contracts)
    assert incident_channel(other, other.assets["customer_age"]) == "#ml-incidents"


def test_involved_teams_and_permissions(registry: Registry) -> None:
    plan = plan_incident(registry, registry.assets["customer_age"], NOW, {})
    assert plan.involved_team_ids == {"mlops_churn", "data_engineering", "product"}
    teams = plan.involved_team_ids
    assert may_act(registry, teams, "U0DANAKOW")  # MLOps Churn
    assert may_act(registry, teams, "U0ALICE01")  # Data Engineering
    assert may_act(registry, teams, "U0HANASAT")  # Product, Consulted
    assert not may_act(registry, teams, "U0FARAH01")  # MLOps Recommender: not involved
    assert not may_act(registry, teams, "U0STRANGE1")
    assert may_act(registry, teams, "U0STRANGE1", admins=("U0STRANGE1",))
    admin = Registry(teams=registry.teams, admins=("U0STRANGE1",))
    assert may_act(admin, teams, "U0STRANGE1")


def test_the_plan_survives_json(registry: Registry) -> None:
    plan = plan_incident(registry, registry.assets["customer_age"], NOW,
                         {"customer_master_db": "late"})
    assert IncidentPlan.from_dict(plan.to_dict()) == plan


def test_find_asset_by_id_alias_or_spelling(registry: Registry) -> None:
    asset = registry.assets["customer_age"]
    assert find_asset(registry, "customer_age") is asset
    assert find_asset(registry, "`Age`") is asset
    assert find_asset(registry, "customer age") is asset
    assert find_asset(registry, "custmer_age") is None
    assert suggest_assets(registry, "custmer_age")[0] == "customer_age"
    assert "Feature engineering" not in suggest_assets(registry, "feature engineerin")
