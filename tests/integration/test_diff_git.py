"""`demarc diff` on a real git repository: a removed column blocks the merge until its notice
period has passed; an added optional column goes through."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.integration.worlds import TEAMS, write_registry

CONTRACT = """\
data_source: customer_master_db
owner_team: data_engineering
consumer_teams: [mlops_churn]
sla: {update_frequency: daily, update_time: "02:00 UTC", max_delay: "30 minutes"}
schema:
  customer_id: {type: string, required: true}
  signup_date: {type: date, required: true}
  monthly_charges: {type: float, required: true}
change_policy:
  breaking_changes: "30 days notice via #data-changes"
"""
ODCS = """\
apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
name: orders
team: {name: Data Engineering}
schema:
  - name: orders
    properties:
      - {name: order_id, logicalType: string, required: true}
      - {name: discount_code, logicalType: string}
customProperties:
  - {property: demarc, value: {consumer_teams: [mlops_churn], notice_days: 14}}
"""


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    write_registry(
        root / "registry",
        {
            "teams.yaml": TEAMS,
            "contracts/customer_master_db.yaml": CONTRACT,
            "contracts/orders.odcs.yaml": ODCS,
        },
    )
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("not part of the registry\n")
    commit(root, "initial registry")
    monkeypatch.chdir(root)
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "registry" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_removed_column_blocks_until_the_notice_period_has_passed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        repo,
        "contracts/customer_master_db.yaml",
        "  monthly_charges: {type: float, required: true}\n",
        "",
    )
    commit(repo, "drop monthly_charges")
    code = main(["diff", "HEAD~1", "HEAD", "--registry", "registry", "--today", "2026-11-25"])
    out = capsys.readouterr().out
    assert code == 1
    assert "BREAKING column_removed monthly_charges" in out
    assert "BLOCKED: no change notice covers it" in out
    assert "change_notices:\n  - contract: customer_master_db" in out  # what to paste
    assert "scope: [monthly_charges]" in out

    # announce it (the notice would have been merged first; here it lands with the change)
    (repo / "registry" / "notices.yaml").write_text(
        "change_notices:\n"
        "  - contract: customer_master_db\n"
        "    announced: 2026-11-01\n"
        '    change: "monthly_charges is removed; use billing_stripe.amount_cents"\n'
        "    scope: [monthly_charges]\n"
    )
    commit(repo, "announce")
    code = main(["diff", "HEAD~2", "HEAD", "--registry", "registry", "--today", "2026-11-25"])
    out = capsys.readouterr().out
    assert code == 1
    assert "BLOCKED: announced 2026-11-01, effective 2026-12-01: 6 day(s) of notice left" in out
    code = main(["diff", "HEAD~2", "HEAD", "--registry", "registry", "--today", "2026-12-01"])
    out = capsys.readouterr().out
    assert code == 0
    assert "allowed: announced 2026-11-01, effective 2026-12-01" in out


def test_added_optional_column_goes_through(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        repo,
        "contracts/orders.odcs.yaml",
        "      - {name: discount_code, logicalType: string}\n",
        "      - {name: discount_code, logicalType: string}\n"
        "      - {name: channel, logicalType: string}\n",
    )
    commit(repo, "add an optional column to an ODCS contract")
    code = main(["diff", "HEAD~1", "HEAD", "--registry", "registry", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["blocking"] == 0
    [change] = data["changes"]
    assert (change["contract"], change["kind"], change["subject"], change["breaking"]) == (
        "orders",
        "column_added_optional",
        "channel",
        False,
    )


def test_git_revision_against_the_working_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        repo,
        "contracts/orders.odcs.yaml",
        "{name: order_id, logicalType: string, required: true}",
        "{name: order_id, logicalType: integer, required: true}",
    )
    code = main(["diff", "HEAD", "registry", "--registry", "registry", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # 14 days' notice and none given
    assert [c["kind"] for c in data["changes"]] == ["column_type_changed"]
    assert data["changes"][0]["blocking"] is True


def test_directories_and_usage_errors(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "registry", "registry"]) == 0
    assert "no contract changes" in capsys.readouterr().out
    assert main(["diff", "no-such-rev", "HEAD", "--registry", "registry"]) == 3
    assert "neither a path nor a git revision" in capsys.readouterr().err
    assert main(["diff", "HEAD", "HEAD", "--registry", "nowhere"]) == 3
    assert "nowhere is not in that revision" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "c.yaml").write_text("data_source: x\nowner_team: nobody\n")
    assert main(["diff", "registry", str(broken)]) == 3
    assert "the registry has" in capsys.readouterr().err
