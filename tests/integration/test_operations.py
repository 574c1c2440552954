"""Operating demarc: health, metrics, registry reload, replica guard, logs without secrets."""

from __future__ import annotations

import itertools
import json
import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.bootstrap import Services, build
from bot.db.leases import LeaseKeeper, SingleReplicaOnly, register_replica
from bot.db.models import OutboxMessage
from bot.ops.logs import JsonFormatter, context_id, scrub
from bot.ops.metrics import Metrics
from bot.registry.holder import RegistryHolder
from bot.registry.reload import Reloader
from tests.conftest import EXAMPLE_REGISTRY
from tests.fakes.fake_slack import FakeSlack
from tests.integration.db_time import expire_lease, last_heartbeat
from tests.integration.worlds import settings_for

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))


@pytest.fixture
def services(database_url: str, registry_copy: Path) -> Iterator[Services]:
    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url, retry_handlers=[])
        built = build(settings_for(database_url), slack_client=client, environ={},
                      clock=lambda: NOW, holder=RegistryHolder.from_path(registry_copy))
        yield built
        built.close()


def test_reload_applies_good_changes_and_keeps_the_last_good_registry(
    services: Services, registry_copy: Path
) -> None:
    changes: list[int] = []
    reloader = Reloader(services.holder, services.engine, lambda: NOW, "#demarc-admin",
                        on_change=lambda: changes.append(1))
    assert not reloader.changed()
    (registry_copy / "extra.yaml").write_text(
        "assets:\n  - {id: new_table, kind: table, owner: data_engineering, "
        "runbook: 'https://x'}\n")
    assert reloader.changed()
    reloader.reload("test")
    assert "new_table" in services.holder.registry.assets
    assert changes == [1]

    (registry_copy / "broken.yaml").write_text("assets:\n  - {id: x, kind: table, owner: nobody}\n")
    problems = reloader.reload("files changed")
    assert any("'nobody' is not a team" in p.message for p in problems)
    assert "new_table" in services.holder.registry.assets  # still the last good one
    assert "x" not in services.holder.registry.assets
    reloader.reload("files changed")  # the same failure again: reported once
    with Session(services.engine) as session:
        messages = session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1
    assert messages[0].channel == "#demarc-admin"
    text = json.loads(messages[0].payload)["text"]
    assert "broken.yaml:2:33" in text  # the `owner:` value
    assert "keeps running the last good registry" in text
    assert changes == [1]


def test_metrics_read_the_shared_database(services: Services) -> None:
    services.freshness.check()
    body = Metrics(services.engine, lambda: NOW).render().decode()
    assert 'demarc_contracts{state="check_failed"} 4.0' in body  # no warehouse in this test
    assert 'demarc_checks_total{state="check_failed"} 4.0' in body
    assert "demarc_outbox_depth 0.0" in body
    assert "demarc_http_request_duration_seconds" in body


def test_health_reports_each_part_and_503_when_the_database_is_gone(
    services: Services, tmp_path: Path
) -> None:
    from dataclasses import replace

    from bot.bootstrap import health as health_of
    from bot.db.engine import make_engine
    from bot.settings import Settings
    from bot.slack.app import create_app
    from bot.slack.web import WebApp

    health = health_of(services)
    assert health["status"] == "ok"
    assert health["checks"]["database"] == "ok"  # type: ignore[index]
    good = services.engine
    broken = replace(services, engine=make_engine(
        f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}"
        if good.dialect.name == "sqlite" else
        "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"))
    try:
        health = health_of(broken)
        assert health["status"] == "unhealthy"
        assert str(health["checks"]["database"]).startswith("unreachable")  # type: ignore[index]
        app = create_app(Settings(slack_bot_token="xoxb-t", slack_signing_secret="s"),
                         services.holder)
        statuses: list[str] = []
        body = WebApp(app, signing_secret="s", health=lambda: health_of(broken))(
            {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"},
            lambda status, headers: statuses.append(status))  # type: ignore[arg-type,return-value]
        assert statuses == ["503 Service Unavailable"]
        assert b"unreachable" in b"".join(body)
    finally:
        broken.engine.dispose()


def test_a_second_replica_on_sqlite_is_refused(tmp_path: Path) -> None:
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    register_replica(engine, "first")
    with pytest.raises(SingleReplicaOnly, match="use PostgreSQL"):
        register_replica(engine, "second")
    # A replica whose heartbeat stopped long ago is dead: a new one may start.
    last_heartbeat(engine, "first", timedelta(minutes=5))
    register_replica(engine, "third")
    engine.dispose()


def test_lease_has_one_holder_and_fences_a_takeover(database_url: str) -> None:
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    a = LeaseKeeper(engine, "outbox", "replica-a", ttl=timedelta(seconds=20))
    b = LeaseKeeper(engine, "outbox", "replica-b", ttl=timedelta(seconds=20))
    token = a.acquire()
    assert token is not None
    fence = a.fence()
    assert fence is not None
    assert b.acquire() is None
    assert a.acquire() == token  # renewal keeps the token
    expire_lease(engine, "outbox")  # a stopped renewing: b takes over
    taken = b.acquire()
    assert taken == token + 1
    assert a.acquire() is None
    with Session(engine) as session, session.begin():
        assert not fence.confirm(session)  # a's old token is refused
    engine.dispose()


def test_lease_runs_on_the_database_clock_not_the_replicas(database_url: str) -> None:
    """A replica whose own clock is hours ahead neither steals a lease nor keeps one longer."""
    from bot.db.clock import read_db_now
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.db.models import Lease

    upgrade(database_url)
    engine = make_engine(database_url)
    a = LeaseKeeper(engine, "timers", "replica-a", ttl=timedelta(seconds=20))
    b = LeaseKeeper(engine, "timers", "replica-b", ttl=timedelta(seconds=20))
    before = read_db_now(engine)
    assert a.acquire() is not None
    after = read_db_now(engine)
    with Session(engine) as session:
        lease = session.get(Lease, "timers")
        assert lease is not None
        assert lease.expires_at is not None
        assert before + timedelta(seconds=19) <= lease.expires_at
        assert lease.expires_at <= after + timedelta(seconds=21)
    assert b.acquire() is None  # still a's, whatever b's clock says
    engine.dispose()


def test_a_lease_of_a_replica_whose_heartbeat_stopped_is_taken_at_once(
    database_url: str,
) -> None:
    """After SIGKILL the dead replica's lease need not run out: its heartbeat shows it gone."""
    from bot.db.engine import make_engine
    from bot.db.leases import HOLDER_DEAD_AFTER, heartbeat
    from bot.db.migrate import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    register_replica(engine, "dead-replica")
    dead = LeaseKeeper(engine, "outbox", "dead-replica", ttl=timedelta(minutes=10))
    token = dead.acquire()
    assert token is not None
    alive = LeaseKeeper(engine, "outbox", "new-replica", ttl=timedelta(seconds=20))
    last_heartbeat(engine, "dead-replica", HOLDER_DEAD_AFTER - timedelta(seconds=5))
    assert alive.acquire() is None  # a recent heartbeat: the holder may be alive, wait
    last_heartbeat(engine, "dead-replica", HOLDER_DEAD_AFTER + timedelta(seconds=1))
    assert alive.acquire() == token + 1  # 10 minutes early, proven safe
    heartbeat(engine, "dead-replica")  # it was only paused: it comes back ...
    assert dead.acquire() is None  # ... and cannot take the lease back while it is held
    engine.dispose()


def test_log_lines_are_json_with_the_request_id_and_no_secrets() -> None:
    record = logging.LogRecord("demarc", logging.ERROR, __file__, 1,
                               "posting with xoxb-1234-5678-abcdef to "
                               "postgresql://demarc:hunter2@db/demarc failed", None, None)
    token = context_id.set("req-42")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        context_id.reset(token)
    assert line["id"] == "req-42"
    assert "hunter2" not in line["message"]
    assert "xoxb-1234" not in line["message"]
    assert "postgresql://demarc:***@db/demarc" in line["message"]
    assert scrub("password=abc token: xyz") == "password=*** token: ***"


def test_the_served_process_answers_health_and_metrics_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """What the container runs (`demarc serve`), as a real process on a free port."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FakeSlack() as slack:
        env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret",
                   DEMARC_REGISTRY=str(EXAMPLE_REGISTRY), DEMARC_SLACK_API_URL=slack.base_url,
                   DEMARC_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                   DEMARC_HOST="127.0.0.1", PORT=str(port), DEMARC_RELOAD_INTERVAL="0")
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                    assert time.monotonic() < deadline, "demarc serve did not come up"
                    time.sleep(0.1)
            assert health.status_code == 200
            assert health.json()["checks"]["scheduler"] == "ok"
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            assert metrics.status_code == 200
            assert "demarc_outbox_depth" in metrics.text
            latency = 'demarc_http_request_duration_seconds_count{route="/healthz"} 1.0'
            assert latency in metrics.text
        finally:
            proc.send_signal(signal.SIGTERM)
            output = proc.communicate(timeout=30)[0].decode()
        assert proc.returncode == 0
        assert "xoxb-test" not in output  # the token never reaches the logs
        assert '"message": "demarc stopped"' in output


def test_a_check_claim_of_a_replica_whose_heartbeat_stopped_is_taken_at_once(
    database_url: str,
) -> None:
    from bot.db.engine import make_engine
    from bot.db.leases import HOLDER_DEAD_AFTER, claim_check
    from bot.db.migrate import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    register_replica(engine, "dead-replica")
    lease = timedelta(minutes=2)
    assert claim_check(engine, "orders", "dead-replica", NOW, lease) is not None
    assert claim_check(engine, "orders", "new-replica", NOW, lease) is None
    last_heartbeat(engine, "dead-replica", HOLDER_DEAD_AFTER + timedelta(seconds=1))
    assert claim_check(engine, "orders", "new-replica", NOW, lease) is not None
    assert claim_check(engine, "orders", "third", NOW, lease) is None  # new-replica holds it
    engine.dispose()


def scrape(engine: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, float]]:
    """(sample name, labels) -> (family type, value), as Prometheus would read /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    body = Metrics(engine, lambda: NOW).render().decode()  # type: ignore[arg-type]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): (family.type, sample.value)
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def test_metrics_counters_never_decrease_and_no_series_vanishes(database_url: str) -> None:
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade
    from bot.db.models import Alert
    from bot.outbox import UPDATE, OutboxWorker, enqueue

    upgrade(database_url)
    engine = make_engine(database_url)
    clock = [NOW]
    with FakeSlack() as slack:
        worker = OutboxWorker(engine, WebClient(token="xoxb-test", base_url=slack.base_url),
                              clock=lambda: clock[0], per_channel_interval=timedelta(0))

        def add(**options: object) -> None:
            with Session(engine) as session, session.begin():
                enqueue(session, channel="C0FEED001", now=clock[0], **options)  # type: ignore

        scrapes = [scrape(engine)]
        with Session(engine) as session, session.begin():
            session.add(Alert(contract_id="orders", period_key="2026-11-25", kind="late",
                              status="open", channel="C0FEED001", opened_at=NOW))
        add(method="chat.postMessage", payload={"text": "late"}, root_key="alert:1",
            is_root=True)
        add(method="chat.postMessage", payload={"text": "still late"})
        scrapes.append(scrape(engine))
        worker.deliver_due()
        add(method=UPDATE, payload={"text": "late 1 h"}, root_key="alert:1")
        add(method=UPDATE, payload={"text": "late 2 h"}, root_key="alert:1")
        slack.fail_next("chat.postMessage", error="channel_not_found")
        add(method="chat.postMessage", payload={"text": "to nowhere"})
        for _ in range(4):
            clock[0] += timedelta(seconds=1)
            worker.deliver_due()
        with Session(engine) as session, session.begin():
            alert = session.scalars(select(Alert)).one()
            alert.status = "recovered"
        scrapes.append(scrape(engine))
    engine.dispose()

    first, *_, last = scrapes
    for before, after in itertools.pairwise(scrapes):
        assert set(before) <= set(after), "a series vanished"
        for key, (kind, value) in before.items():
            assert after[key][0] == kind
            if kind == "counter":
                assert after[key][1] >= value, f"{key} decreased"
    assert first[("demarc_outbox_messages", (("status", "pending"),))] == ("gauge", 0.0)
    assert last[("demarc_outbox_messages", (("status", "pending"),))] == ("gauge", 0.0)
    assert last[("demarc_slack_messages_delivered_total", ())] == ("counter", 3.0)
    assert last[("demarc_slack_messages_failed_total", ())] == ("counter", 1.0)
    assert last[("demarc_slack_messages_superseded_total", ())] == ("counter", 1.0)
    assert last[("demarc_slack_messages_dead_lettered_total", ())] == ("counter", 0.0)
    assert last[("demarc_alerts_opened_total", (("kind", "late"),))] == ("counter", 1.0)
    assert last[("demarc_alerts", (("kind", "late"), ("status", "open")))] == ("gauge", 0.0)
    assert last[("demarc_alerts", (("kind", "late"), ("status", "recovered")))] == ("gauge", 1.0)
    assert not any(name in ("demarc_slack_messages_total", "demarc_alerts_total")
                   for name, _ in last)
