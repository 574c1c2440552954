"""ODCS, dbt sources and Backstage entities load into the same model as demarc's own YAML,
and broken ones are reported with file:line like demarc's own files."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from ownership.answers import AssetAnswer, who_owns
from ownership.loader import LoadResult, load_registry
from ownership.model import AgeSla, Column, DeadlineSla, Role, SqlProbe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "formats"


def registry_with(tmp_path: Path, *names: str, extra: dict[str, str] | None = None) -> Path:
    shutil.copy(FIXTURES / "teams.yaml", tmp_path / "teams.yaml")
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / Path(name).name)
    for name, text in (extra or {}).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def load(tmp_path: Path, *names: str, lenient: bool | None = None) -> LoadResult:
    return load_registry(registry_with(tmp_path, *names), lenient=lenient)


def found(result: LoadResult) -> set[tuple[str, int, int, str]]:
    return {
        (Path(p.where.file).name, p.where.line, p.where.column, p.code) for p in result.problems
    }


def messages(result: LoadResult) -> str:
    return "\n".join(str(p) for p in result.problems)


# ---------------------------------------------------------------------- ODCS
def test_odcs_maps_team_sla_support_schema_and_extension(tmp_path: Path) -> None:
    result = load(tmp_path, "odcs/full.odcs.yaml")
    assert result.registry is not None, messages(result)
    c = result.registry.contracts["seller_payments"]  # from `name: Seller Payments`
    assert c.format == "odcs"
    assert c.owner_team == "data_engineering"  # team.name "Data Engineering", by display name
    assert c.consumer_teams == ("mlops_churn",)  # "MLOps Churn" resolves the same way
    assert c.description == "Views built on top of the seller tables."
    # two timeOfAvailability promises (09:00 and 08:00 at -08:00): the earliest, in UTC
    assert c.sla == DeadlineSla("daily", "UTC", timedelta(0), time(16, 0))
    assert c.freshness == AgeSla(None, timedelta(days=4))  # latency 4 d
    assert c.probe == SqlProbe("EDW_URL", "tbl_1", "txn_ref_dt", "pp_access_views")
    assert c.alert_channel == "#product-help"  # the Slack support channel is the on-call one
    assert c.change_policy.channel == "#data-changes"  # scope: announcements
    assert c.change_policy.notice_days == 30
    assert ("email", "datacontract-ann") in c.contacts
    assert c.schema[:3] == (
        Column("txn_ref_dt", "date", False, "Reference date"),
        Column("rcvr_id", "varchar(18)", True),
        Column("amount", "number", False),
    )
    assert Column("receivers.id", "varchar(18)", True) in c.schema  # other objects: qualified


def test_odcs_contract_answers_who_owns_like_demarcs_own(tmp_path: Path) -> None:
    result = load(tmp_path, "odcs/full.odcs.yaml")
    assert result.registry is not None
    answer = who_owns(result.registry, "seller_payments", datetime(2026, 11, 25, tzinfo=UTC))
    assert isinstance(answer, AssetAnswer)
    assert answer.contract is not None
    assert answer.contract.contract.owner_team == "data_engineering"
    [owner] = answer.with_role(Role.ACCOUNTABLE)
    assert owner.team.id == "data_engineering"
    assert owner.oncall is not None
    assert owner.oncall.slack_id == "U0ALICE01"


def test_odcs_legacy_list_team_owner_is_the_member_without_date_out(tmp_path: Path) -> None:
    result = load(tmp_path, "odcs/legacy-team.odcs.yaml")
    assert result.registry is not None, messages(result)
    c = result.registry.contracts["legacy_orders"]
    assert c.owner_team == "data_engineering"  # alice@company.com is a member of it
    assert c.sla is None
    assert c.freshness == AgeSla(None, timedelta(hours=1))  # hourly, no time of day: an age SLA
    assert c.probe is None  # no element names a timestamp column
    assert {p.code for p in result.warnings} >= {"no-probe"}


def test_odcs_member_who_left_does_not_own(tmp_path: Path) -> None:
    text = (FIXTURES / "odcs/legacy-team.odcs.yaml").read_text()
    text = text.replace(
        '{username: alice@company.com, role: owner, dateIn: "2014-10-01"}',
        '{username: alice@company.com, role: owner, dateIn: "2014-10-01", dateOut: "2015-01-01"}',
    )
    result = load_registry(registry_with(tmp_path, extra={"c.odcs.yaml": text}))
    assert result.registry is None
    [problem] = result.errors
    assert problem.code == "unknown-team"
    assert "has no owner team" in problem.message
    assert "team.name" in problem.message


def test_odcs_unknown_team_is_the_same_error_with_did_you_mean(tmp_path: Path) -> None:
    result = load(tmp_path, "odcs/broken.odcs.yaml")
    assert result.registry is None
    assert (
        "broken.odcs.yaml:7:9: error: contract 'broken' owner_team 'Data Enginering' is not a "
        "team; did you mean 'data_engineering'? [unknown-team]"
    ) in messages(result)


def test_broken_odcs_reports_every_problem_at_its_line(tmp_path: Path) -> None:
    result = load(tmp_path, "odcs/broken.odcs.yaml")
    name = "broken.odcs.yaml"
    assert found(result) >= {
        (name, 7, 9, "unknown-team"),
        (name, 8, 13, "format-schema"),  # a member without username
        (name, 12, 20, "format-schema"),  # logicalTyp
        (name, 13, 34, "format-schema"),  # required: "yes"
        (name, 15, 34, "bad-value"),  # freshness value soon
        (name, 16, 43, "bad-value"),  # 25:00
        (name, 17, 32, "bad-value"),  # latency in years
        (name, 18, 56, "bad-value"),  # schedule is not cron
        (name, 20, 15, "bad-value"),  # Slack channel name
        (name, 23, 52, "wrong-type"),  # notice_days -3
        (name, 23, 68, "secret-in-yaml"),  # a URL with a password as connection
        (name, 23, 98, "unknown-field"),  # conection
    }
    text = messages(result)
    assert "did you mean 'logicalType'?" in text
    assert "did you mean 'connection'?" in text
    assert "secret" not in text.replace("secret-in-yaml", "")  # the password is never echoed


def test_odcs_schema_violations_fail_unless_lenient_which_says_what_it_ignored(
    tmp_path: Path,
) -> None:
    strict = load(tmp_path, "odcs/lenient.odcs.yaml")
    assert strict.registry is None
    assert {(p.where.line, p.code) for p in strict.errors} == {
        (18, "format-schema"),
        (19, "format-schema"),
        (23, "format-schema"),
    }
    assert "'isUnique' is not a field of schema/0/properties/0; did you mean 'unique'?" in (
        messages(strict)
    )
    lenient = load_registry(tmp_path, lenient=True)
    assert lenient.registry is not None
    ignored = [p for p in lenient.warnings if p.code == "format-schema"]
    assert len(ignored) == 3
    assert all(p.message.startswith("ignored (lenient mode): ") for p in ignored)
    c = lenient.registry.contracts["my_table"]
    assert c.freshness == AgeSla(None, timedelta(hours=1))
    assert c.probe == SqlProbe("ODCS_WAREHOUSE_URL", "my_table", "field_three")


def test_lenient_mode_from_the_registry_file_and_skipping_unowned_contracts(
    tmp_path: Path,
) -> None:
    text = (
        (FIXTURES / "odcs/lenient.odcs.yaml")
        .read_text()
        .replace("team: {name: data_engineering}", "team: {name: finance}")
    )
    root = registry_with(
        tmp_path, extra={"settings.yaml": "formats: {lenient: true}\n", "c.odcs.yaml": text}
    )
    result = load_registry(root)
    assert result.registry is not None
    assert "my_table" not in result.registry.contracts
    skipped = [p for p in result.warnings if p.code == "unknown-team"]
    assert len(skipped) == 1
    assert "contract skipped: contract 'my_table' owner_team 'finance' is not a team" in (
        skipped[0].message
    )
    assert load_registry(root, lenient=False).registry is None  # the CLI flag overrides


def test_demarc_format_errors_are_never_relaxed(tmp_path: Path) -> None:
    root = registry_with(
        tmp_path,
        extra={
            "settings.yaml": "formats: {lenient: true}\n",
            "c.yaml": "data_source: x\nowner_team: nobody\n",
        },
    )
    result = load_registry(root)
    assert result.registry is None
    assert {p.code for p in result.errors} == {"unknown-team"}


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("apiVersion: v2.2.2\nkind: DataContract\n", "unsupported-format", "ODCS v2"),
        ("apiVersion: v4.0.0\nkind: DataContract\n", "unsupported-format", "v3.0.x to v3.2.x"),
        ("dataContractSpecification: 1.2.0\nid: x\n", "unsupported-format", "export --format"),
        ("apiVersion: v3.1.0\nkind: DataProduct\nid: x\nversion: 1\n", "format-schema", "kind"),
        ("formats: {lenient: maybe}\n", "wrong-type", "lenient"),
    ],
)
def test_unreadable_documents_say_why(tmp_path: Path, text: str, code: str, words: str) -> None:
    result = load_registry(registry_with(tmp_path, extra={"x.yaml": text}))
    assert result.registry is None
    assert any(p.code == code and words in p.message for p in result.errors), messages(result)


def test_odcs_time_of_availability_with_a_zone_and_cron_schedule(tmp_path: Path) -> None:
    text = """\
apiVersion: v3.2.0
kind: DataContract
id: c1
version: 1.0.0
name: daily_sales
team: {name: data_engineering}
schema: [{name: daily_sales, properties: [{name: loaded_at, logicalType: timestamp}]}]
slaProperties:
  - {property: timeOfAvailability, value: "06:30 Europe/Berlin", element: daily_sales.loaded_at}
  - {property: frequency, value: 1, unit: h, element: daily_sales.loaded_at}
---
apiVersion: v3.2.0
kind: DataContract
id: c2
version: 1.0.0
name: weekday_sales
team: {name: data_engineering}
slaProperties:
  - property: frequency
    value: 1
    unit: d
    scheduler: cron
    schedule: "0 6 * * 1-5"
    element: t.loaded_at
"""
    result = load_registry(registry_with(tmp_path, extra={"c.odcs.yaml": text}))
    assert result.registry is not None, messages(result)
    hourly = result.registry.contracts["daily_sales"]
    assert hourly.sla == DeadlineSla("hourly", "Europe/Berlin", timedelta(0), time(0, 30))
    assert hourly.probe == SqlProbe("ODCS_WAREHOUSE_URL", "daily_sales", "loaded_at")
    cron = result.registry.contracts["weekday_sales"]
    assert cron.sla == DeadlineSla("cron", "UTC", timedelta(0), cron="0 6 * * 1-5")
    assert cron.probe == SqlProbe("ODCS_WAREHOUSE_URL", "t", "loaded_at")


# ---------------------------------------------------------------------- dbt
def test_dbt_legacy_style_inheritance_overrides_and_opt_outs(tmp_path: Path) -> None:
    result = load(tmp_path, "dbt/legacy_sources.yml")
    assert result.registry is not None, messages(result)
    contracts = result.registry.contracts
    one_day, two_days = timedelta(days=1), timedelta(days=2)
    account = contracts["salesforce.account"]
    assert account.format == "dbt"
    assert account.owner_team == "data_engineering"  # meta.owner "Data Engineering"
    assert account.consumer_teams == ("mlops_churn",)  # meta.demarc on the source
    assert account.freshness == AgeSla(one_day, two_days)  # inherited from the source
    assert account.probe == SqlProbe("DBT_WAREHOUSE_URL", "account", "createddate", "salesforce")
    assert account.change_policy.notice_days == 14
    assert account.change_policy.channel == "#data-changes"
    assert account.description == "Salesforce accounts."
    assert [(c.name, c.type, c.required) for c in account.schema] == [
        ("id", "varchar", True),  # tests: [not_null]
        ("name", "varchar", False),
        ("createddate", "timestamp", True),  # constraints: [{type: not_null}]
    ]
    opportunity = contracts["salesforce.opportunity"]  # warn_after merged over the source's
    assert opportunity.freshness == AgeSla(timedelta(hours=6), two_days)
    assert opportunity.probe is not None
    assert opportunity.probe.table == "opportunity_v2"
    opted_out = contracts["salesforce.user_role"]  # freshness: null
    assert opted_out.freshness is None
    assert opted_out.probe is None
    lead = contracts["salesforce.lead"]
    assert lead.probe == SqlProbe(
        "DBT_WAREHOUSE_URL", "lead", "systemmodstamp", "salesforce", "isdeleted = false"
    )
    assert contracts["salesforce.contact"].owner_team == "mlops_churn"  # meta.owner: an email
    assert contracts["hubspot.deals"].freshness is None  # the source opted out
    companies = contracts["hubspot.companies"]  # … and a table opts back in
    assert companies.freshness == AgeSla(None, timedelta(minutes=30))
    assert companies.probe == SqlProbe("DBT_WAREHOUSE_URL", "companies", "updated_at", "hubspot")
    # dbt sources without freshness opted out on purpose: no "nothing to check" warning
    assert "no-sla" not in {p.code for p in result.warnings}


def test_dbt_config_style_and_disabled_tables(tmp_path: Path) -> None:
    result = load(tmp_path, "dbt/config_sources.yml")
    assert result.registry is not None, messages(result)
    assert set(result.registry.contracts) == {"raw.fresh_events"}  # stale_events: enabled false
    c = result.registry.contracts["raw.fresh_events"]
    assert c.owner_team == "mlops_churn"
    assert c.consumer_teams == ("data_engineering",)
    assert c.freshness == AgeSla(timedelta(hours=1), timedelta(hours=24))
    assert c.probe == SqlProbe("WAREHOUSE_URL", "fresh_events", "loaded_at", "main")


def test_dbt_source_answers_who_owns_and_freshness(tmp_path: Path) -> None:
    result = load(tmp_path, "dbt/config_sources.yml")
    assert result.registry is not None
    answer = who_owns(result.registry, "raw.fresh_events", datetime(2026, 11, 25, tzinfo=UTC))
    assert isinstance(answer, AssetAnswer)
    assert answer.contract is not None
    assert answer.contract.sla_words == "warn after 1 h, error after 1 d"
    assert [t.team.id for t in answer.with_role(Role.ACCOUNTABLE)] == ["mlops_churn"]


def test_broken_dbt_sources_report_every_problem_at_its_line(tmp_path: Path) -> None:
    result = load(tmp_path, "dbt/broken_sources.yml")
    assert result.registry is None
    name = "broken_sources.yml"
    assert found(result) == {
        (name, 5, 5, "format-schema"),  # freshnes
        (name, 7, 19, "unknown-team"),  # Data Enginering
        (name, 12, 31, "bad-value"),  # count: 0
        (name, 13, 43, "bad-value"),  # period: fortnight
        (name, 14, 11, "format-schema"),  # after:
        (name, 16, 24, "format-schema"),  # data_typ
        (name, 17, 9, "wrong-type"),  # a table that is a number
        (name, 18, 5, "missing-field"),  # a source without a name
    }
    text = messages(result)
    assert "unknown field 'freshnes' in dbt source 'raw'; did you mean 'freshness'?" in text
    assert "did you mean 'data_engineering'?" in text


def test_dbt_unknown_keys_are_warnings_in_lenient_mode(tmp_path: Path) -> None:
    text = (
        "version: 2\nsources:\n  - name: raw\n    meta: {owner: data_engineering}\n"
        "    tables: [{name: t, freshnes: {}}]\n"
    )
    strict = load_registry(registry_with(tmp_path, extra={"s.yml": text}))
    assert [p.code for p in strict.errors] == ["format-schema"]
    lenient = load_registry(tmp_path, lenient=True)
    assert lenient.registry is not None
    assert "raw.t" in lenient.registry.contracts


def test_dbt_without_owner_is_an_error_pointing_at_the_table(tmp_path: Path) -> None:
    text = "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: t\n"
    result = load_registry(registry_with(tmp_path, extra={"s.yml": text}))
    [problem] = result.errors
    assert (problem.where.line, problem.code) == (5, "unknown-team")
    assert "set meta.owner" in problem.message


# ---------------------------------------------------------------------- Backstage
def test_backstage_groups_are_teams_and_users_their_members(tmp_path: Path) -> None:
    result = load(tmp_path, "backstage/team.yaml")
    assert result.registry is not None, messages(result)
    team = result.registry.teams["team-a"]
    assert team.usergroup is not None
    assert team.usergroup.id == "S0TEAMA01"
    assert team.oncall_channel == "#team-a-oncall"
    assert team.discipline == "mlops"
    assert [(p.name, p.slack_id, p.email) for p in team.members] == [
        ("breanna.davison", "U0BREANNA", "breanna-davison@example.com"),
        ("Guest User", None, "guest@example.com"),
    ]
    [warning] = [p for p in result.warnings if p.code == "unknown-team"]
    assert (warning.where.line, "'team-b'") == (34, "'team-b'")


def test_backstage_users_can_join_a_team_from_demarcs_own_file(tmp_path: Path) -> None:
    user = (
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: zoe}\n"
        "spec: {profile: {email: zoe@company.com}, memberOf: [group:default/mlops_churn]}\n"
    )
    result = load_registry(registry_with(tmp_path, extra={"u.yaml": user}))
    assert result.registry is not None
    members = result.registry.teams["mlops_churn"].members
    assert members[-1].email == "zoe@company.com"


def test_bad_backstage_annotation_is_positioned(tmp_path: Path) -> None:
    group = (
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\n"
        "  annotations: {demarc/oncall-channel: general}\nspec: {type: team, children: []}\n"
    )
    result = load_registry(registry_with(tmp_path, extra={"g.yaml": group}))
    [problem] = result.errors
    assert (problem.where.line, problem.code) == (5, "bad-value")


# ---------------------------------------------------------------------- all together
def test_formats_example_loads_clean_and_answers(tmp_path: Path) -> None:
    result = load_registry(EXAMPLE)
    assert result.registry is not None, messages(result)
    assert result.problems == []
    registry = result.registry
    assert {c.id: c.format for c in registry.contracts.values()} == {
        "orders": "odcs",
        "stripe.invoices": "dbt",
        "stripe.payouts": "dbt",
        "stripe.refunds": "dbt",
    }
    orders = registry.contracts["orders"]
    assert orders.consumer_teams == ("mlops_churn", "product-analytics")  # Backstage group
    assert orders.sla == DeadlineSla("daily", "UTC", timedelta(0), time(6, 0))
    answer = who_owns(registry, "orders", datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert isinstance(answer, AssetAnswer)
    assert answer.contract is not None
    assert answer.contract.sla_words == "daily, due 06:00 UTC, late after 06:00 UTC"
    informed = {t.team.id for t in answer.with_role(Role.INFORMED)}
    assert informed == {"mlops_churn", "product-analytics"}
    payouts = registry.contracts["stripe.payouts"]
    assert payouts.freshness == AgeSla(timedelta(hours=6), timedelta(hours=24))
    assert [n.contract for n in registry.change_notices] == ["orders"]


def test_unknown_consumer_is_reported_at_its_own_item(tmp_path: Path) -> None:
    text = """\
apiVersion: v3.1.0
kind: DataContract
id: c1
version: 1.0.0
name: orders
team: {name: Data Engineering}
customProperties:
  - property: demarc
    value:
      consumer_teams:
        - MLOps Churn
        - mlops_chrun
"""
    result = load_registry(registry_with(tmp_path, extra={"c.odcs.yaml": text}))
    [problem] = result.errors
    assert (problem.where.line, problem.where.column, problem.code) == (12, 11, "unknown-team")
    assert problem.message == (
        "contract 'orders' consumer team 'mlops_chrun' is not a team; did you mean 'mlops_churn'?"
    )
    fixed = load_registry(
        registry_with(tmp_path, extra={"c.odcs.yaml": text.replace("chrun", "churn")})
    )
    assert fixed.registry is not None
    contract = fixed.registry.contracts["orders"]
    assert contract.consumer_teams == ("mlops_churn",)  # both names are the same team
    assert contract.where("owner_team").line == 6
    assert contract.where("consumer_teams[mlops_churn]").line in (11, 12)


def test_dbt_table_fed_only_by_dbt_results_has_no_probe_and_no_warning(tmp_path: Path) -> None:
    sources = (
        "version: 2\nsources:\n  - name: raw\n    meta: {owner: data_engineering}\n"
        "    loaded_at_field: loaded_at\n"
        "    freshness: {warn_after: {count: 1, period: hour}}\n"
        "    tables:\n"
        "      - name: probed\n"
        "      - name: results_only\n"
        "        meta: {demarc: {probe: false}}\n"
        "      - name: bad\n"
        "        meta: {demarc: {probe: sometimes}}\n"
    )
    result = load_registry(registry_with(tmp_path, extra={"sources.yml": sources}))
    assert any(
        p.code == "wrong-type" and "probe must be true or false" in p.message for p in result.errors
    )
    fixed = sources.replace("probe: sometimes", "probe: true")
    (tmp_path / "ok").mkdir()
    result = load_registry(registry_with(tmp_path / "ok", extra={"sources.yml": fixed}))
    assert result.registry is not None, messages(result)
    contracts = result.registry.contracts
    assert contracts["raw.probed"].probe is not None
    assert contracts["raw.bad"].probe is not None
    assert contracts["raw.results_only"].probe is None
    assert not [p for p in result.problems if p.code == "no-probe"]
