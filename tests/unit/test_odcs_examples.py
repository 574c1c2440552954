"""The standard's own ODCS examples load alone, in an empty registry, and answer who owns
them: the inline team is a team, every table of a multi-table contract is found."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ownership.answers import AssetAnswer, who_owns
from ownership.loader import load_registry
from ownership.model import Role

FIXTURES = Path(__file__).parent.parent / "fixtures" / "quality"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def alone(tmp_path: Path, name: str) -> Path:
    shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_full_example_inline_team_is_a_team_with_members_and_its_slack_channel(
    tmp_path: Path,
) -> None:
    result = load_registry(alone(tmp_path, "full-example.odcs.yaml"))
    assert result.registry is not None, [str(p) for p in result.errors]
    team = result.registry.teams["my-team"]
    assert team.name == "my-team"
    assert {p.name for p in team.members} == {"mhopper", "daustin"}  # ceastwood left
    assert team.oncall_channel == "#product-help"
    answer = who_owns(result.registry, "my_quantum", NOW)
    assert isinstance(answer, AssetAnswer)
    [owner] = answer.with_role(Role.RESPONSIBLE)
    assert owner.team.id == "my-team"
    other = who_owns(result.registry, "receivers", NOW)  # the contract's second table
    assert isinstance(other, AssetAnswer)
    assert other.asset.id == "my_quantum"


def test_full_example_checks_its_quality_rules(tmp_path: Path) -> None:
    result = load_registry(alone(tmp_path, "full-example.odcs.yaml"))
    assert result.registry is not None
    contract = result.registry.contracts["my_quantum"]
    rules = {r.id: (r.metric, r.column, r.bound) for r in contract.quality}
    assert rules["rowCount:table"] == ("rowCount", None, ("mustBeGreaterThan", (1000000.0,)))
    assert rules["nullValues:rcvr_cntry_code"] == (
        "nullValues",
        "rcvr_cntry_code",
        ("mustBe", (0.0,)),
    )


def test_a_misspelt_team_with_members_is_still_an_error_not_a_new_team(tmp_path: Path) -> None:
    text = (
        (FIXTURES / "full-example.odcs.yaml").read_text().replace("name: my-team", "name: myteam")
    )
    (tmp_path / "teams.yaml").write_text(
        "teams:\n  - id: my_teams\n    name: My Teams\n    slack: {oncall_channel: '#x'}\n"
    )
    (tmp_path / "c.odcs.yaml").write_text(text)
    result = load_registry(tmp_path)
    assert result.registry is None
    assert any("did you mean 'my_teams'" in p.message for p in result.errors)


def test_adventureworks_without_a_team_loads_and_every_table_is_found(tmp_path: Path) -> None:
    result = load_registry(alone(tmp_path, "adventureworks-3.odcs.yaml"))
    assert result.registry is not None, [str(p) for p in result.errors]
    [why] = [p for p in result.warnings if p.code == "no-team"]
    assert "names no team" in why.message
    for table in ("department", "employee", "employeedepartmenthistory"):
        answer = who_owns(result.registry, table, NOW)
        assert isinstance(answer, AssetAnswer), table
        assert answer.asset.id == "department"
        assert answer.with_role(Role.RESPONSIBLE) == ()


def test_whoowns_lenient_answers_where_validate_lenient_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    formats = FIXTURES.parent / "formats"
    shutil.copy(formats / "teams.yaml", tmp_path / "teams.yaml")
    shutil.copy(formats / "odcs" / "lenient.odcs.yaml", tmp_path / "lenient.odcs.yaml")
    assert main(["validate", "--lenient", str(tmp_path)]) == 0
    assert main(["whoowns", "my_table", "--registry", str(tmp_path)]) == 3  # strict: refused
    capsys.readouterr()
    assert main(["whoowns", "my_table", "--registry", str(tmp_path), "--lenient"]) == 0
    assert "my_table" in capsys.readouterr().out


RACI_TEAMS = """\
teams:
  - {id: mlops_churn, name: MLOps Churn, discipline: mlops, slack: {oncall_channel: "#churn"}}
  - {id: mlops_reco, name: MLOps Reco, discipline: mlops, slack: {oncall_channel: "#reco"}}
raci:
  activities:
    feature_engineering: {name: Feature engineering, roles: {mlops: R}}
    production_incident: {name: Production incident, roles: {mlops: R}}
  kinds: {feature: feature_engineering}
"""


def test_a_foreign_owner_without_discipline_gets_one_rule_for_r(tmp_path: Path) -> None:
    """whoowns and incident plans agree: a discipline key of a team-less-discipline owner
    means that discipline's teams with a stake in the asset (here its consumer), not all."""
    from ownership.incident_plan import plan_incident

    text = (FIXTURES / "full-example.odcs.yaml").read_text().replace(
        "customProperties:\n  - property: refRulesetName",
        "customProperties:\n  - property: demarc\n    value: {asset_kind: feature, "
        "consumer_teams: [mlops_churn]}\n  - property: refRulesetName",
    )
    (tmp_path / "c.odcs.yaml").write_text(text)
    (tmp_path / "teams.yaml").write_text(RACI_TEAMS)
    result = load_registry(tmp_path)
    assert result.registry is not None, [str(p) for p in result.errors]
    registry = result.registry
    answer = who_owns(registry, "my_quantum", NOW)
    assert isinstance(answer, AssetAnswer)
    responsible = {t.team.id for t in answer.with_role(Role.RESPONSIBLE)}
    assert responsible == {"my-team", "mlops_churn"}  # not mlops_reco: it has no stake
    plan = plan_incident(registry, registry.assets["my_quantum"], NOW, {})
    assert {r.team_id for r in plan.responders} == responsible
