"""Driving an incident in `demarc demo`: the same service and outbox, printed in the terminal."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import EXAMPLE_REGISTRY

PROMPT = "demarc> "
SCRIPT = """\
/incident customer_age "predictions wrong"
/incident customer_age again
/as U0STRANGE1
/resolve data it was me
/as Emeka
/ack
/wait 70
/resolve data CRM export stalled; restarted
/timeline
/export
"""


def replies(out: str) -> dict[str, str]:
    answers: dict[str, str] = {}
    for chunk in out.split(f"\n{PROMPT}")[1:]:
        typed, _, reply = chunk.partition("\n")
        answers[typed] = reply
    return answers


def test_an_incident_driven_from_the_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO(SCRIPT))
    assert main(["demo", "--registry", str(EXAMPLE_REGISTRY)]) == 0
    answers = replies(capsys.readouterr().out)
    opened = answers['/incident customer_age "predictions wrong"']
    assert "Responders, please *Acknowledge*" in opened
    assert "*MLOps Churn* on call" in opened
    assert ("*Data Engineering* on call: Responsible for upstream customer_master_db (late)"
            in opened)
    assert "#mlops-reco-oncall · message" in opened  # the Informed notice
    assert opened.rstrip().endswith("tagged the on-call of MLOps Churn, Data Engineering.")
    assert "already open" in answers["/incident customer_age again"]
    assert answers["/resolve data it was me"].startswith("Only members of")
    assert answers["/as Emeka"].strip() == "You are Emeka Obi now."
    assert "👀 @Emeka Obi acknowledged" in answers["/ack"]
    assert "Status update due on incident #1" in answers["/wait 70"]
    assert "Timers fired: 1." in answers["/wait 70"]
    assert "*Resolved* by @Emeka Obi" in answers["/resolve data CRM export stalled; restarted"]
    assert "*resolved* @Emeka Obi Data" in answers["/timeline"].replace("cause: ", "")
    assert answers["/export"].startswith("# Incident #1: `customer_age`: predictions wrong")
    assert "## Which side of the boundary broke" in answers["/export"]
