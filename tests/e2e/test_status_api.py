"""The contract status API on the HTTP server `demarc serve` runs (waitress + WebApp), with its
reader on the real services, on SQLite and PostgreSQL: bearer token, JSON, errors as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from bot.blocks import ids
from bot.cli.serve import status_reader
from tests.e2e.conftest import NOW, serving
from tests.e2e.incident_scene import Scene
from tests.e2e.surfaces_scene import data_at, scene

__all__ = ["scene"]  # the fixture
TOKEN = "status-api-token-0123456789"
PATH = "/api/v1/contracts/"


@pytest.fixture
def api(scene: Scene) -> Iterator[httpx.Client]:
    reader = status_reader(scene.services)
    with serving(None, contract_status=reader, api_token=TOKEN) as url, httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        yield client


def test_a_pipeline_reads_state_deadline_alert_incident_and_owner(
    scene: Scene, api: httpx.Client
) -> None:
    fresh = api.get(PATH + "customer_master_db")
    assert fresh.status_code == 200
    assert fresh.headers["content-type"].startswith("application/json")
    body = fresh.json()
    assert body["state"] == "unknown"
    assert body["ok_to_build"] is False
    assert body["eta"] is None
    assert body["owner"]["team"] == "data_engineering"
    assert body["owner"]["on_call"]["slack_id"].startswith("U0")

    data_at(scene, "customer_master_db", NOW - timedelta(days=1, hours=10))
    late = api.get(PATH + "customer_master_db").json()
    assert late["state"] == "late"
    assert late["deadline"] == "2026-03-10T02:30:00Z"
    assert late["last_arrival"] == "2026-03-09T02:00:00Z"
    assert late["alert"]["kind"] == "late"
    assert late["ok_to_build"] is False

    scene.command('customer_master_db "crm export broken"')
    scene.wait_event("opened")
    assert api.get(PATH + "customer_master_db").json()["incident"]["id"] == 1

    scene.press(ids.ACKNOWLEDGE_INCIDENT_ACTION, user="U0ALICE01")
    scene.clock.advance(minutes=5)
    data_at(scene, "customer_master_db", scene.clock())
    recovered = api.get(PATH + "customer_master_db").json()
    assert recovered["alert"] is None
    assert recovered["state"] == "recovered"
    assert recovered["ok_to_build"] is False  # the incident is still open


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {TOKEN}"}],
)
def test_without_the_token_401_as_json(api: httpx.Client, headers: dict[str, str]) -> None:
    api.headers.pop("Authorization")
    response = api.get(PATH + "customer_master_db", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"].startswith("unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_contract_404_and_a_broken_reader_500_as_json(api: httpx.Client) -> None:
    missing = api.get(PATH + "no_such%20thing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no contract 'no_such thing'"}
    assert api.post(PATH + "customer_master_db").status_code == 405

    def broken(contract_id: str) -> None:
        raise RuntimeError("database down")

    with serving(None, contract_status=broken, api_token=TOKEN) as url:
        response = httpx.get(url + PATH + "x", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 500
    assert set(response.json()) == {"error", "ref"}
    assert "Traceback" not in response.text


def test_off_unless_a_token_is_configured(scene: Scene) -> None:
    with serving(None, contract_status=status_reader(scene.services), api_token=None) as url:
        response = httpx.get(url + PATH + "customer_master_db")
    assert response.status_code == 404
