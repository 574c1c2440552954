"""An accepted request becomes a contract file and exactly one pull request at the (fake)
GitHub, or with no host a branch and a patch in the registry's checkout; SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import DataRequest
from ownership.loader import load_registry
from tests.e2e.incident_scene import Scene
from tests.e2e.request_scene import (
    ALICE,
    DANA,
    counter_values,
    hub,
    hubscene,
    modal_after,
    open_modal,
    press,
    rscene,
    submit,
    thread_texts,
)
from tests.e2e.surfaces_scene import submit_values
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_slack import wait_for

__all__ = ["hub", "hubscene", "rscene"]  # the fixtures


def request_and_agree(scene: Scene) -> None:
    """Dana asks for dim_customers (no contract yet); Alice counters; Dana accepts."""
    view = open_modal(scene, "request dim_customers")
    submit(scene, view, source="dim_customers", columns="customer_id: string\nregion: string")
    wait_for(lambda: scene.slack.calls("chat.postEphemeral"), message="request posted")
    scene.deliver()
    counter = modal_after(scene, ids.COUNTER_REQUEST_ACTION, user=ALICE)
    submit_values(scene, ids.COUNTER_REQUEST_VIEW, counter["private_metadata"],
                  counter_values(at="04:00", timezone="Europe/Berlin", max_delay="2 hours",
                                 columns="customer_id: string\nregion: string optional"),
                  user=ALICE)
    wait_for(lambda: "countered" in kinds(scene), message="countered")
    press(scene, ids.ACCEPT_REQUEST_ACTION, user=DANA)
    wait_for(lambda: "pull_request" in kinds(scene), message="the pull request",
             timeout=20)
    scene.deliver()


def kinds(scene: Scene) -> list[str]:
    assert scene.services.requests is not None
    return [e.kind for e in scene.services.requests.timeline(1)]


def test_acceptance_opens_one_pull_request_with_a_valid_contract(
    hubscene: Scene, hub: FakeGitHub, tmp_path: Path
) -> None:
    request_and_agree(hubscene)
    [pull] = hub.repo.pulls
    assert pull["head"]["ref"] == "demarc/request-1"
    assert pull["base"]["ref"] == "main"
    assert "https://slack.com/archives/" in pull["body"]  # the PR links the thread
    assert all(c.headers.get("Authorization") == "Bearer ghp-test-token" for c in hub.repo.calls)
    text = hub.repo.branches["demarc/request-1"]["contracts/dim_customers.contract.yaml"]
    data = yaml.safe_load(text)
    assert data["data_source"] == "dim_customers"
    assert data["owner_team"] == "data_engineering"
    assert data["consumer_teams"] == ["mlops_churn"]
    assert data["sla"] == {"update_frequency": "daily", "update_time": "04:00 Europe/Berlin",
                           "max_delay": "2 hours"}
    assert data["schema"]["region"] == {"type": "string", "required": False}
    # validated like any other: the registry loads with it
    registry = hubscene.settings.registry_path
    (registry / "contracts" / "dim_customers.contract.yaml").write_text(text)
    result = load_registry(registry)
    assert result.errors == []
    assert result.registry is not None
    assert "dim_customers" in result.registry.contracts
    # the thread links the PR
    assert any("https://github.test/acme/registry/pull/1" in t for t in thread_texts(hubscene))
    # a retry makes no second pull request
    steps = hubscene.services.request_steps
    assert steps is not None
    assert steps.on_accepted is not None
    steps.on_accepted(1)
    assert len(hub.repo.pulls) == 1
    posts_before = len([c for c in hub.repo.calls if c.method == "POST"])
    with_row_forgotten(hubscene)
    steps.on_accepted(1)  # the database lost the URL: the host still has one PR per branch
    assert len(hub.repo.pulls) == 1
    assert [c.path for c in hub.repo.calls if c.method == "POST"][posts_before:] == []


def with_row_forgotten(scene: Scene) -> None:
    with Session(scene.services.engine) as s, s.begin():
        row = s.get(DataRequest, 1)
        assert row is not None
        row.pull_request = None


def test_with_no_host_a_branch_and_a_patch_in_the_checkout(rscene: Scene) -> None:
    request_and_agree(rscene)
    root = rscene.settings.registry_path
    shown = subprocess.run(["git", "-C", str(root), "show",
                            "demarc/request-1:contracts/dim_customers.contract.yaml"],
                           capture_output=True, text=True, check=True).stdout
    assert "data_source: dim_customers" in shown
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""  # the working tree is untouched
    [said] = [t for t in thread_texts(rscene) if "up for review" in t]
    assert "branch demarc/request-1, patch " in said
    patch = Path(said.split("patch ")[1].split(".patch")[0] + ".patch")
    assert patch.exists()
    assert "dim_customers.contract.yaml" in patch.read_text()


def test_an_accepted_change_request_amends_the_file_and_the_pr_carries_the_verdict(
    hubscene: Scene, hub: FakeGitHub
) -> None:
    view = open_modal(hubscene)
    submit(hubscene, view, columns="monthly_charges: integer required")
    wait_for(lambda: "judged" in kinds(hubscene), message="judged")
    press(hubscene, ids.ACCEPT_REQUEST_ACTION, user=ALICE)
    wait_for(lambda: "pull_request" in kinds(hubscene), message="the pull request", timeout=20)
    [pull] = hub.repo.pulls
    assert "monthly_charges needs the consent of mlops_recommender" in pull["body"]
    text = hub.repo.branches["demarc/request-1"]["contracts/customer_master_db.contract.yaml"]
    assert text.startswith("# Example Data Contract\n")
    assert "  monthly_charges: {type: integer, required: true}\n" in text
    assert "  oncall: #data-eng-oncall\n" in text
