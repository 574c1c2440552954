"""Loading and validating registries: the example is valid, and every broken copy says where."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ownership.errors import RegistryInvalid
from ownership.loader import load_registry, load_registry_or_raise
from ownership.model import Role

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "registry"

TEAMS = """\
teams:
  - id: data_engineering
    name: Data Engineering
    slack:
      usergroup: {id: S0DATAENG, handle: data-eng}
      oncall_channel: "#data-eng-oncall"
    members:
      - {name: Alice, slack: U0ALICE01, email: alice@company.com}
    oncall:
      members: [U0ALICE01]
      period: 1 week
      handoff: "09:00"
      timezone: Europe/Berlin
      start: 2026-01-05
  - id: mlops
    name: MLOps
    slack:
      usergroup: {id: S0MLOPS01}
      oncall_channel: "#mlops-oncall"
    members: [U0DANA001]
    oncall: {members: [U0DANA001], period: daily, timezone: UTC, start: 2026-01-01}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in load_registry(root).problems]


def codes_at(root: Path) -> set[tuple[str, int, str]]:
    return {(Path(p.where.file).name, p.where.line, p.code) for p in load_registry(root).problems}


def test_example_registry_is_valid_with_only_the_lectures_known_warnings() -> None:
    result = load_registry(EXAMPLE)
    assert result.registry is not None, [str(p) for p in result.errors]
    codes = sorted(p.code for p in result.warnings)
    # The user's contract writes `oncall: #data-eng-oncall` (a YAML comment); the lecture's
    # matrix shares accountability for feature store infra and has no A for incidents.
    assert codes == ["no-accountable", "several-accountable", "unquoted-channel"]


def test_users_contract_loads_as_it_is() -> None:
    registry = load_registry_or_raise(EXAMPLE)
    contract = registry.contracts["customer_master_db"]
    assert contract.owner_team == "data_engineering"
    assert contract.consumer_teams == ("mlops_churn", "mlops_recommender")
    assert contract.sla is not None
    assert (contract.sla.frequency, contract.sla.at.hour, contract.sla.timezone) == (
        "daily",
        2,
        "UTC",
    )
    assert contract.sla.max_delay.total_seconds() == 1800
    assert [c.name for c in contract.schema] == ["customer_id", "signup_date", "monthly_charges"]
    assert contract.change_policy.notice_days == 30
    assert contract.change_policy.channel == "#data-changes"
    assert dict(contract.contacts)["oncall"] == "#data-eng-oncall"
    assert contract.probe is not None  # declared on the asset, not in the user's file


def test_lecture_matrix_is_expressed_verbatim() -> None:
    registry = load_registry_or_raise(EXAMPLE)
    store = dict(registry.activities["feature_store_infra"].roles)
    assert store["data_engineering"] == store["mlops"] == {Role.RESPONSIBLE, Role.ACCOUNTABLE}
    incident = dict(registry.activities["production_incident"].roles)
    assert incident["data_engineering"] == incident["mlops"] == {Role.RESPONSIBLE}
    contracts = dict(registry.activities["data_contracts"].roles)
    assert contracts == {
        "data_engineering": {Role.ACCOUNTABLE},
        "mlops": {Role.RESPONSIBLE},
        "product": {Role.CONSULTED},
    }


def test_broken_copy_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "teams.yaml": TEAMS,
            "assets.yaml": """\
assets:
  - id: feature_a
    kind: feature
    owner: mlopz
    upstream: [raw_b, nowhere]
    runbok: https://x
  - id: raw_b
    kind: source
    owner: data_engineering
    upstream: [feature_a]
  - id: feature_a
    kind: feature
""",
            "c.yaml": """\
data_source: raw_b
owner_team: data_engineering
consumer_teams: [mlops, ghosts]
sla:
  update_frequency: daily
  update_time: "25:00 Mars/Base"
  max_delay: "half an hour"
""",
        },
    )
    result = load_registry(root)
    assert result.registry is None
    found = codes_at(root)
    assert ("assets.yaml", 4, "unknown-team") in found  # at the `owner:` value itself
    assert ("assets.yaml", 5, "unknown-asset") in found  # at the list item
    assert ("assets.yaml", 2, "unknown-team") not in found
    assert ("assets.yaml", 6, "unknown-field") in found
    assert ("assets.yaml", 11, "duplicate-id") in found
    assert any(code == "lineage-cycle" for _, _, code in found)
    assert ("c.yaml", 3, "unknown-team") in found  # consumer_teams: [mlops, ghosts]
    assert ("c.yaml", 6, "bad-value") in found
    assert ("c.yaml", 7, "bad-value") in found
    text = "\n".join(problems_of(root))
    assert "did you mean 'runbook'?" in text
    assert "did you mean 'mlops'?" in text
    assert "lineage cycle: feature_a -> raw_b -> feature_a" in text


@pytest.mark.parametrize(
    ("yaml_text", "line", "needle"),
    [
        (
            "teams: [{id: t, members: [U0ALICE01], oncall: {members: [U0BOB0001], period: daily, "
            "timezone: UTC, start: 2026-01-01}}]\n",
            1,
            "'U0BOB0001' is not a member",
        ),
        ("teams:\n  - id: t\n    slack: {usergroup: {id: data-eng}}\n", 3, "usergroup id"),
        ("teams:\n  - id: t\n    slack: {oncall_channel: data eng}\n", 3, "oncall_channel"),
        (
            "teams:\n  - id: t\n    oncall: {members: [], period: 90 minutes, timezone: UTC, "
            "start: 2026-01-01}\n",
            3,
            "whole days",
        ),
        (
            "teams:\n  - id: t\n    oncall: {members: [x], period: daily, timezone: Moon/Base, "
            "start: 2026-01-01}\n",
            3,
            "unknown timezone",
        ),
        ("assets:\n  - id: a\n    kind: feature\n    raci: {t: X}\n", 4, "unknown role 'X'"),
        ("assets:\n  - {id: a, kind: feature, aliases: 5.5}\n", 2, "must be a list"),
        ("assets:\n  - {id: 'a b', kind: feature}\n", 2, "not a valid id"),
        ("assets: {id: a}\n", 1, "must be a list"),
        ("teams:\n  - id: t\n    name: T\n    name: U\n", 4, "duplicate key 'name'"),
        (
            "data_source: x\nowner_team: t\nsla: {update_frequency: sometimes, max_delay: 1h}\n",
            3,
            "not one of hourly, daily, weekly, cron",
        ),
        (
            "data_source: x\nowner_team: t\nsla: {update_frequency: weekly, "
            "update_time: '06:00 UTC', max_delay: 1h}\n",
            3,
            "needs a weekday",
        ),
        (
            "data_source: x\nowner_team: t\nsla: {update_frequency: cron, cron: '61 * * * *', "
            "max_delay: 1h}\n",
            3,
            "not a valid cron",
        ),
        (
            "data_source: x\nowner_team: t\nprobe: {sql: {connection: 'postgresql://u:pw@h/db', "
            "table: t, timestamp_column: ts}}\n",
            3,
            "never the URL or a password",
        ),
        (
            "data_source: x\nowner_team: t\nprobe: {http: {url: 'https://x', timestamp: json:a, "
            "headers: {Authorization: Bearer abc}}}\n",
            3,
            "env:VARIABLE",
        ),
        (
            "silences:\n  - {asset: x, from: '2026-01-02T00:00:00+00:00', to: "
            "'2026-01-01T00:00:00+00:00'}\n",
            2,
            "ends before it starts",
        ),
        ("tems:\n  - id: t\n", 1, "did you mean 'teams'"),
        ("teams: [\n  {id: t\n", 3, "invalid YAML"),
        ("a: !!python/object/apply:os.system ['true']\n", 1, "cannot read value"),
        ("- just\n- a list\n", 1, "must be a mapping"),
    ],
)
def test_bad_input_names_file_line_and_field(
    tmp_path: Path, yaml_text: str, line: int, needle: str
) -> None:
    write(tmp_path, {"bad.yaml": yaml_text})
    problems = [p for p in load_registry(tmp_path).problems if p.where.file.endswith("bad.yaml")]
    matching = [p for p in problems if needle in p.message]
    assert matching, [str(p) for p in problems]
    assert matching[0].where.line == line, str(matching[0])
    assert matching[0].is_error


def test_alias_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    write(tmp_path, {"bomb.yaml": "\n".join(lines) + "\n"})
    [problem] = load_registry(tmp_path).problems
    assert "too many nodes" in problem.message


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ownership.yamlsafe.MAX_FILE_BYTES", 100)
    write(tmp_path, {"big.yaml": "teams: []\n" + "# padding\n" * 20})
    [problem] = load_registry(tmp_path).problems
    assert "limit is 100 bytes" in problem.message


def test_missing_and_empty_directories(tmp_path: Path) -> None:
    assert "no such file" in problems_of(tmp_path / "nope")[0]
    assert "no .yaml" in problems_of(tmp_path)[0]
    with pytest.raises(RegistryInvalid, match="1 error"):
        load_registry_or_raise(tmp_path)


def test_warnings_flag_what_a_reviewer_would(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "teams.yaml": TEAMS + "  - {id: lonely, name: Lonely}\n",
            "assets.yaml": "assets:\n  - {id: orphan, kind: table}\n",
            "c.yaml": "data_source: orphan2\nowner_team: lonely\n",
        },
    )
    result = load_registry(tmp_path)
    assert result.registry is not None
    codes = {p.code for p in result.warnings}
    assert {
        "no-owner",
        "no-runbook",
        "no-oncall-channel",
        "no-rotation",
        "no-sla",
        "no-consumers",
        "no-members",
        "no-usergroup",
    } <= codes


def test_files_in_any_number_and_nested_directories_are_merged(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "reg")
    (tmp_path / "reg" / "more" / "deep").mkdir(parents=True)
    (tmp_path / "reg" / "more" / "deep" / "extra.yml").write_text(
        "assets:\n  - {id: extra_table, kind: table, owner: data_engineering, "
        "upstream: [usage_logs], runbook: 'https://x'}\n"
    )
    (tmp_path / "reg" / ".git").mkdir()
    (tmp_path / "reg" / ".git" / "junk.yaml").write_text(": not yaml [")
    registry = load_registry_or_raise(tmp_path / "reg")
    assert "extra_table" in registry.assets
    assert "extra_table" in registry.downstream_of("usage_logs")


# ---------------------------------------------------------------------- values that used to raise
CONTRACT = "data_source: x\nowner_team: t\n"
ONCALL = "teams:\n  - id: t\n    members: [U0ALICE01]\n    oncall: {members: [U0ALICE01], "
DBT = "version: 2\nsources:\n  - name: s\n    tables:\n      - name: t\n        freshness: "


@pytest.mark.parametrize(
    ("yaml_text", "line", "column", "needle"),
    [
        # ZoneInfo reads a name as a path: OSError (too long), ValueError (NUL, absolute, not
        # TZif), IsADirectoryError, KeyError: each is the author's unknown timezone.
        (CONTRACT + "sla: {update_frequency: daily, update_time: '02:00', max_delay: 1h, "
         f"timezone: '{'a' * 300}'}}\n", 3, 79, "unknown timezone"),
        (CONTRACT + f"sla: {{update_frequency: daily, update_time: '02:00 {'E' * 300}', "
         "max_delay: 1h}\n", 3, 45, "expected a time"),
        (ONCALL + 'period: daily, timezone: "Europe/\\0Berlin", start: 2026-01-01}\n', 4, 61,
         "unknown timezone"),
        (ONCALL + "period: daily, timezone: /etc/passwd, start: 2026-01-01}\n", 4, 61,
         "unknown timezone"),
        (ONCALL + "period: daily, timezone: zone1970.tab, start: 2026-01-01}\n", 4, 61,
         "unknown timezone"),
        (ONCALL + "period: daily, timezone: [Europe/Berlin], start: 2026-01-01}\n", 4, 61,
         "expected a timezone"),
        (CONTRACT + "probe: {sql: {connection: W, table: t, timestamp_column: c, "
         f"naive_timezone: '{'x/' * 200}'}}}}\n", 3, 77, "unknown timezone"),
        # durations, dates and numbers past what date arithmetic can hold
        (CONTRACT + "sla: {update_frequency: hourly, max_delay: 99999999999999999999 days}\n",
         3, 44, "longer than 3660 days"),
        (CONTRACT + "sla: {update_frequency: hourly, max_delay: P99999999999999D}\n", 3, 44,
         "longer than 3660 days"),
        (CONTRACT + "freshness: {error_after: 1e999 minutes}\n", 3, 26, "unknown unit 'e'"),
        (ONCALL + "period: 99999999999 weeks, timezone: UTC, start: 2026-01-01}\n", 4, 44,
         "longer than"),
        (ONCALL + "period: daily, timezone: UTC, start: 0001-01-01}\n", 4, 73,
         "between 1900 and 2999"),
        ("silences:\n  - {asset: x, from: '2026-01-01T00:00:00+00:00', "
         "to: '9999-12-31T23:59:59-23:59'}\n", 2, 55, "between 1900 and 2999"),
        (CONTRACT + "change_policy: {notice_days: 99999999999999999999}\n", 3, 30,
         "from 0 to 3650"),
        (CONTRACT + "change_policy: {breaking_changes: 99999999999999999999 days notice}\n", 3,
         35, "more than 3650"),
        (DBT + "{warn_after: {count: 99999999999999999999, period: day}}\n", 6, 41,
         "longer than 3660 days"),
        (DBT + "{warn_after: {count: 1, period: [day]}}\n", 6, 52, "is not minute, hour or day"),
        (DBT + "{warn_after: {count: 1, period: {day: 1}}}\n", 6, 52, "is not minute, hour"),
        ("apiVersion: v3.0.0\nkind: DataContract\nid: x\nname: x\nversion: 1.0.0\nstatus: a\n"
         "slaProperties:\n  - {property: latency, value: 1e300, unit: d}\n", 8, 32,
         "longer than 3660 days"),
        # YAML values the constructor cannot build, merges of non-mappings, recursion
        ("silences:\n  - {asset: x, from: 2026-13-45, to: 2026-01-01}\n", 2, 22,
         "month must be in 1..12"),
        ("a: !!timestamp soon\n", 1, 4, "not a valid timestamp"),
        ("a: !!bool maybe\n", 1, 4, "not a valid bool"),
        ("teams:\n  - <<: 5\n    id: t\n", 2, 9, "cannot merge keys"),
        ("teams: &a [*a]\n", 1, 8, "recursive alias"),
        ("teams: " + "[" * 70 + "]" * 70 + "\n", 1, 71, "nested more than 64 levels"),
        ("teams:\n  - id: t\x00\n", 2, 10, "U+0000"),
        ("admins: [{id: U0ALICE01}]\n", 1, 10, "admin"),
    ],
)
def test_odd_values_are_positioned_errors_not_exceptions(
    tmp_path: Path, yaml_text: str, line: int, column: int, needle: str
) -> None:
    write(tmp_path, {"bad.yaml": yaml_text})
    problems = load_registry(tmp_path).problems
    matching = [p for p in problems if needle in p.message]
    assert matching, [str(p) for p in problems]
    where = matching[0].where
    assert (Path(where.file).name, where.line, where.column) == ("bad.yaml", line, column), str(
        matching[0]
    )
    assert matching[0].is_error
    assert len(str(matching[0])) < 400  # a 300-character value is cut, never echoed whole


def test_a_file_that_is_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"teams:\n  - id: t\xff\n")
    [problem] = load_registry(tmp_path).problems
    assert (problem.where.line, problem.where.column, problem.code) == (2, 10, "encoding")


def test_a_reader_bug_is_an_internal_error_at_the_document_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("ownership.loader.read_team", broken)
    write(tmp_path, {"teams.yaml": TEAMS, "more.yaml": "assets: []\n"})
    result = load_registry(tmp_path)
    [problem] = [p for p in result.problems if p.code == "internal-error"]
    assert problem.where.file.endswith("teams.yaml")
    assert problem.where.line == 1
    assert "RuntimeError: boom" in problem.message
    assert result.registry is None


# ---------------------------------------------------------------------- root causes first
def break_teams(root: Path) -> Path:
    """The example registry with a YAML syntax error in teams.yaml (an unclosed flow list)."""
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
    teams = root / "teams.yaml"
    lines = teams.read_text().splitlines()
    lines[44] += " ["
    teams.write_text("\n".join(lines) + "\n")
    return teams


def test_a_file_that_fails_to_parse_comes_first_and_its_knock_ons_are_summarised(
    tmp_path: Path,
) -> None:
    from ownership.errors import Kind
    from ownership.root_causes import knock_on_summary, roots

    teams = break_teams(tmp_path)
    contract = tmp_path / "contracts" / "churn_features.contract.yaml"
    contract.write_text(contract.read_text().replace("owner_team: mlops_churn", "owner_team: ml"))
    errors = load_registry(tmp_path).errors
    first = errors[0]
    assert (first.where.file, first.where.line, first.code, first.kind) == (
        str(teams), 46, "yaml", Kind.PARSE
    )
    # 'ml' is in no file that failed: a root cause of its own, listed
    assert [(p.code, p.refs) for p in roots(errors)] == [("yaml", ()), ("unknown-team", ("ml",))]
    knock_ons = [p for p in errors if p.kind is Kind.KNOCK_ON]
    assert len(knock_ons) == len(errors) - 2 > 20
    assert {p.cause for p in knock_ons} == {str(teams)}
    assert {p.code for p in knock_ons} == {"unknown-team"}
    assert knock_on_summary(errors) == [
        f"{len(knock_ons)} references to teams from {teams}, which failed to parse, not listed"
    ]


def test_a_reference_to_a_name_the_broken_file_never_mentions_stays_a_root_cause(
    tmp_path: Path,
) -> None:
    from ownership.errors import Kind

    write(tmp_path, {
        "teams.yaml": "teams:\n  - {id: t1\n",
        "assets.yaml": "assets:\n  - {id: a, kind: table, owner: t1}\n"
                       "  - {id: b, kind: table, owner: t2}\n",
    })
    kinds = {p.refs: p.kind for p in load_registry(tmp_path).errors if p.refs}
    assert kinds == {("t1",): Kind.KNOCK_ON, ("t2",): Kind.ROOT}
