"""`demarc diff old.yaml new.yaml` on two versions of one contract file: no registry needed
around them, even when the contract names teams no file defines."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from bot.cli.diff import run

CONTRACT = """\
data_source: orders
owner_team: data_engineering
consumer_teams: [mlops_churn, product_analytics]
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
schema:
  order_id: {type: string, required: true}
  amount: {type: integer}
"""
ODCS = """\
apiVersion: v3.1.0
kind: DataContract
id: orders-odcs
version: 1.0.0
status: active
name: odcs_orders
team: {name: Data Engineering}
schema:
  - name: odcs_orders
    properties:
      - {name: order_id, logicalType: string, required: true}
      - {name: amount, logicalType: integer}
customProperties:
  - property: demarc
    value: {consumer_teams: [mlops_churn]}
"""


def diff(tmp_path: Path, old: str, new: str) -> tuple[int, str, str]:
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    out, err = io.StringIO(), io.StringIO()
    code = run(
        "old.yaml",
        "new.yaml",
        registry=Path("registry"),
        today=date(2026, 11, 25),
        as_json=False,
        cwd=tmp_path,
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


def test_two_versions_of_a_demarc_contract_file_diff_without_a_registry(tmp_path: Path) -> None:
    code, out, err = diff(tmp_path, CONTRACT, CONTRACT.replace("  amount: {type: integer}\n", ""))
    assert err == ""
    assert "orders:" in out
    assert "BREAKING" in out
    assert "amount" in out
    assert code == 0  # the contract has no change policy: nothing blocks it


def test_two_versions_of_an_odcs_file_diff_without_a_registry(tmp_path: Path) -> None:
    code, out, err = diff(
        tmp_path, ODCS, ODCS.replace("logicalType: integer", "logicalType: string")
    )
    assert err == ""
    assert "odcs_orders:" in out
    assert "amount" in out
    assert code == 0
