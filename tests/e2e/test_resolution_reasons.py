"""Resolving asks why: the reason reaches the row, the timeline and the SLA report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import ids
from bot.db.models import Incident, IncidentEvent
from tests.e2e.incident_scene import Scene
from tests.e2e.test_incidents import oncall, open_incident, resolve_metadata
from tests.fakes.fake_slack import FakeSlack


@pytest.fixture
def scene(tmp_path: Path, slack: FakeSlack) -> Iterator[Scene]:
    with ExitStack() as stack:
        yield Scene(slack, f"sqlite:///{tmp_path / 'demarc.sqlite3'}", stack)


def test_the_modal_offers_the_reasons_and_the_answer_is_recorded(scene: Scene) -> None:
    open_incident(scene)
    churn = oncall(scene, "mlops_churn")
    metadata = resolve_metadata(scene, churn)
    view = scene.slack.calls("views.open")[-1].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    [reason] = [b for b in view["blocks"] if b.get("block_id") == "reason"]
    assert reason["optional"] is True
    values = [o["value"] for o in reason["element"]["options"]]
    assert values == [
        "fixed_upstream", "fixed_here", "expected", "false_alarm", "sla_too_tight"
    ]
    scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata, user=churn, side="data", note="no issue",
                 reason="false_alarm")
    scene.wait_event("resolved")
    with Session(scene.services.engine) as session:
        row = session.scalars(select(Incident)).one()
        event = session.scalars(select(IncidentEvent).where(IncidentEvent.kind == "resolved"))
        detail = event.one().detail
    assert row.resolution_reason == "false_alarm"
    assert "reason: false alarm." in detail


def test_a_resolve_without_a_reason_still_resolves(scene: Scene) -> None:
    open_incident(scene)
    churn = oncall(scene, "mlops_churn")
    metadata = resolve_metadata(scene, churn)
    scene.submit(ids.RESOLVE_INCIDENT_VIEW, metadata, user=churn, side="external", note="ok",
                 reason="made-up")
    scene.wait_event("resolved")
    with Session(scene.services.engine) as session:
        assert session.scalars(select(Incident)).one().resolution_reason is None
