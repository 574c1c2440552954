"""`demarc ingest-dbt-results target/run_results.json`: dbt's tests on source tables become
quality verdicts and alerts of their contracts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.db.models import OutboxMessage, QualityAlert
from tests.integration.test_dbt_ingest import SOURCES
from tests.integration.worlds import TEAMS_OWNER_ON_CALL, write_registry

RUN_RESULTS = "https://schemas.getdbt.com/dbt/run-results/v6.json"


def dbt_test(uid: str, status: str, failures: int | None, message: str) -> dict[str, Any]:
    return {
        "unique_id": uid,
        "status": status,
        "failures": failures,
        "message": message,
        "timing": [],
        "thread_id": "Thread-1",
        "execution_time": 0.05,
        "adapter_response": {},
    }


def write(path: Path, results: list[dict[str, Any]]) -> str:
    meta = {"dbt_schema_version": RUN_RESULTS, "generated_at": "2026-11-25T03:00:00Z"}
    path.write_text(json.dumps({"metadata": meta, "results": results, "elapsed_time": 1}))
    return str(path)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return write_registry(
        tmp_path / "registry", {"teams.yaml": TEAMS_OWNER_ON_CALL, "_sources.yml": SOURCES}
    )


def run(path: str, registry: Path, url: str, *more: str) -> int:
    return main(
        ["ingest-dbt-results", path, "--registry", str(registry), "--database-url", url, *more]
    )


def test_a_failing_dbt_test_opens_a_quality_alert_and_a_pass_resolves_it(
    registry: Path, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = dbt_test(
        "test.shop.source_not_null_raw_stale_events_user_id.3f2a1b", "fail", 12,
        "Got 12 results, configured to fail if != 0",
    )  # fmt: skip
    other = dbt_test("test.shop.not_null_orders_id.9a", "pass", 0, "PASS")  # a model's
    model = {"unique_id": "model.shop.orders", "status": "success", "message": "OK"}
    path = write(tmp_path / "run_results.json", [failing, other, model])
    assert run(path, registry, database_url) == 1
    out = capsys.readouterr().out
    assert "raw.stale_events" in out
    assert "dbt:not_null:user_id" in out
    assert "FAILED" in out
    assert "no contract of this source table" in out  # the model's test
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            [alert] = session.scalars(select(QualityAlert)).all()
            assert (alert.contract_id, alert.check_id, alert.status) == (
                "raw.stale_events",
                "dbt:not_null:user_id",
                "open",
            )
            assert "12 failing rows in user_id" in alert.detail
            roots = session.scalars(select(OutboxMessage).where(OutboxMessage.is_root)).all()
            assert sorted(r.channel for r in roots) == ["#data-eng-oncall", "#mlops-churn-oncall"]

        fixed = dbt_test(failing["unique_id"], "pass", 0, "PASS")
        assert run(write(tmp_path / "run_results.json", [fixed]), registry, database_url) == 0
        with Session(engine) as session:
            [alert] = session.scalars(select(QualityAlert)).all()
            assert alert.status == "resolved"
    finally:
        engine.dispose()


def test_the_manifest_names_the_table_and_an_error_is_no_pass(
    registry: Path, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = "test.shop.my_custom_check.77"  # a name that says nothing about its table
    manifest = {
        "nodes": {
            uid: {
                "depends_on": {"nodes": ["source.shop.raw.fresh_events"]},
                "test_metadata": {"name": "unique", "kwargs": {"column_name": "event_id"}},
            }
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    errored = dbt_test(uid, "error", None, "relation does not exist")
    path = write(tmp_path / "run_results.json", [errored])
    assert run(path, registry, database_url, "--manifest", str(tmp_path / "manifest.json")) == 2
    out = capsys.readouterr().out
    assert "raw.fresh_events" in out
    assert "dbt:unique:event_id" in out
    assert "CHECK FAILED" in out
