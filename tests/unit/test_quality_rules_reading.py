"""ODCS `quality` rules and demarc `quality:` sections as read from YAML: what is checked,
and bad rules reported at their line with "did you mean"."""

from __future__ import annotations

from pathlib import Path

from ownership.formats.dbt_run_results import DbtTarget, target_by_name
from ownership.loader import LoadResult, load_registry

TEAMS = "teams:\n  - {id: de, name: DE, slack: {oncall_channel: '#de'}}\n"
ODCS = """\
apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
name: orders
team: {name: de}
schema:
  - name: orders
    quality:
      - {type: sql, query: "SELECT count(*) FROM ${object} WHERE amount < 0", mustBe: 0}
      - {type: text, description: "looks right to a person"}
    properties:
      - name: email
        physicalName: email_address
        quality:
          - {metric: nullValues, mustBeLessThan: 5, unit: percent}
          - {metric: invalidValues, arguments: {pattern: "@"}, mustBe: 0}
"""


def load(tmp_path: Path, name: str, text: str) -> LoadResult:
    (tmp_path / "teams.yaml").write_text(TEAMS)
    (tmp_path / name).write_text(text)
    return load_registry(tmp_path)


def test_odcs_rules_are_read_with_their_columns(tmp_path: Path) -> None:
    result = load(tmp_path, "o.odcs.yaml", ODCS)
    registry = result.registry
    assert registry is not None
    rules = {r.id: r for r in registry.contracts["orders"].quality}
    assert set(rules) == {"sql:table:0", "nullValues:email_address", "invalidValues:email_address"}
    assert rules["nullValues:email_address"].unit == "percent"
    assert rules["invalidValues:email_address"].pattern == "@"
    assert "${object}" in (rules["sql:table:0"].query or "")


def test_a_misspelt_comparison_is_an_error_at_its_line(tmp_path: Path) -> None:
    bad = ODCS.replace("mustBeLessThan: 5", "mustBeLesThan: 5")
    result = load(tmp_path, "o.odcs.yaml", bad)
    errors = [p for p in result.errors if p.code in ("bad-value", "format-schema")]
    assert errors
    assert any(p.where.line == 17 for p in errors)


def test_demarc_quality_section(tmp_path: Path) -> None:
    text = (
        "data_source: orders\nowner_team: de\nschema:\n  id: {type: integer, primary: true}\n"
        "quality:\n  min_rows: 10\n  max_drop: 0.5\n  rules:\n"
        "    - {metric: rowCount, mustBeLessThan: 1000000}\n"
    )
    result = load(tmp_path, "orders.yaml", text)
    registry = result.registry
    assert registry is not None, [str(p) for p in result.errors]
    contract = registry.contracts["orders"]
    assert contract.volume is not None
    assert contract.volume.min_rows == 10
    assert contract.volume.max_drop == 0.5
    assert contract.schema[0].unique
    assert [r.metric for r in contract.quality] == ["rowCount"]
    wrong = load(tmp_path, "orders.yaml", text.replace("min_rows", "min_row"))
    assert any("did you mean 'min_rows'" in p.message for p in wrong.errors)


def test_dbt_generated_test_names_find_their_source_table() -> None:
    contracts = ["stripe.invoices", "stripe.invoice_lines", "crm.customers"]
    uid = "test.shop.source_not_null_stripe_invoice_lines_amount.1a2b"
    assert target_by_name(uid, contracts) == DbtTarget("stripe.invoice_lines", "not_null", "amount")
    assert target_by_name("test.shop.source_unique_crm_customers_id.9", contracts) == DbtTarget(
        "crm.customers", "unique", "id"
    )
    assert target_by_name("test.shop.not_null_orders_id.9", contracts) is None  # a model's test


def test_drift_and_quality_both_use_the_physical_column_name(tmp_path: Path) -> None:
    from ownership.drift import LiveColumn, compare_schema
    from ownership.quality.checks import contract_checks

    text = ODCS.replace("      - name: email\n", "      - name: email\n        required: true\n")
    registry = load(tmp_path, "o.odcs.yaml", text).registry
    assert registry is not None
    contract = registry.contracts["orders"]
    checked = {r.column for r in contract_checks(contract) if r.column}
    assert checked == {"email_address"}  # what the quality queries read
    live = [LiveColumn("email_address", "text"), LiveColumn("amount", "integer")]
    assert compare_schema(contract.schema, live) == []  # the table has it: no drift
    [drift] = compare_schema(contract.schema, [LiveColumn("email", "text")])
    assert (drift.kind, drift.column) == ("missing_column", "email_address")


def test_a_sql_rules_window_is_read_and_a_misspelt_one_is_an_error(tmp_path: Path) -> None:
    text = ODCS.replace(
        "mustBe: 0}\n      - {type: text",
        "mustBe: 0, customProperties: [{property: window, value: period}]}\n      - {type: text",
        1,
    )
    registry = load(tmp_path, "o.odcs.yaml", text).registry
    assert registry is not None
    rules = {r.id: r for r in registry.contracts["orders"].quality}
    assert rules["sql:table:0"].window == "period"
    assert rules["nullValues:email_address"].window == "all"
    result = load(tmp_path, "o.odcs.yaml", text.replace("value: period", "value: perod"))
    [error] = [p for p in result.errors if "window must be period or all" in p.message]
    assert (error.where.line, error.where.column) == (11, 135)  # at the value
    assert "period" in error.message  # did you mean
