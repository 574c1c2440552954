"""The status page in a real headless Chromium (Playwright): no console errors, a late
contract in its colour, every asset in the lineage graph; and its access rules over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from bot.cli.main import main
from bot.db.models import ContractStatus, Incident, IncidentEvent
from bot.reports.status_page import COLOURS, render_status_page
from bot.slack.status_page_http import StatusPage
from bot.slack.web import WebApp
from ownership.loader import guarded_load
from ownership.model import Registry
from tests.conftest import EXAMPLE_REGISTRY
from tests.e2e.conftest import serving

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
TOKEN = "s3cret-status-token-0123"


def registry() -> Registry:
    loaded = guarded_load(EXAMPLE_REGISTRY).registry
    assert loaded is not None
    return loaded


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'demarc.sqlite3'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add_all([
            ContractStatus(contract_id="customer_master_db", state="late"),
            ContractStatus(contract_id="usage_logs", state="on_time"),
        ])
        incident = Incident(asset="customer_age", summary="predictions <wrong>", severity="sev2",
                            opened_severity="sev2", status="open", channel="C0INC0001",
                            plan="{}", opened_at=NOW)
        session.add(incident)
        session.flush()
        session.add(IncidentEvent(incident_id=incident.id, at=NOW, kind="opened",
                                  actor="U1", detail="opened by <@U1>"))
    yield engine
    engine.dispose()


@pytest.fixture
def base_url(engine: Engine) -> Iterator[str]:
    reg = registry()
    page = StatusPage(lambda: render_status_page(engine, reg, NOW), TOKEN)
    with serving(None, status_page=page) as url:
        yield url


def test_the_page_asks_for_its_token_and_is_off_unless_configured(base_url: str) -> None:
    assert httpx.get(f"{base_url}/status").status_code == 401
    assert httpx.get(f"{base_url}/status?token=wrong-token-000000").status_code == 401
    answer = httpx.get(f"{base_url}/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert "predictions &lt;wrong&gt;" in answer.text  # user text escaped
    off = WebApp(None)
    seen: list[str] = []
    body = off({"PATH_INFO": "/status", "REQUEST_METHOD": "GET"},
               lambda status, headers: seen.append(status))  # type: ignore[arg-type,return-value]
    assert seen == ["404 Not Found"]
    assert b"".join(body) == b"Not Found"


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no chromium on PATH: `apt-get install -y chromium` (.ci/run installs it)")
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (a dev dependency)")
    return path


def test_in_a_real_browser(base_url: str) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            response = page.goto(f"{base_url}/status?token={TOKEN}")
            assert response is not None
            assert response.status == 200
            late = page.locator('#lineage g.node[data-asset="customer_master_db"] rect')
            fill: Any = late.get_attribute("fill")
            assert fill == COLOURS["late"]
            badge = page.locator('#contracts tr[data-contract="customer_master_db"] .state')
            colour = badge.evaluate("el => getComputedStyle(el).backgroundColor")
            assert colour == "rgb(217, 48, 37)"  # #d93025
            drawn = set(page.locator("#lineage g.node").evaluate_all(
                "nodes => nodes.map(n => n.dataset.asset)"))
            assert drawn == set(registry().assets)
            downstream = page.locator('#lineage g.node[data-asset="customer_age"]')
            assert downstream.get_attribute("data-state") == "affected"
            assert page.locator(".chart svg").count() == 1
            assert page.locator('section.incident[data-incident="1"] li').count() == 1
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith(base_url) for url in requests)  # nothing from elsewhere
