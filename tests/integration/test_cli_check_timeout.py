"""`demarc check --timeout N` bounds the whole run: a probe that hangs neither delays the table
nor keeps the process alive past the deadline (run as a real subprocess, measured), and a
probe's own timeout is cut to what is left of the sweep."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.probes import Prober, run_probes
from ownership.model import SqlProbe
from tests.integration import worlds
from tests.integration.worlds import TEAMS_ON_CALL

TIMEOUT = 1.5
MARGIN = 6.0  # interpreter start and imports on a loaded machine; the old code took 30-60 s
CONTRACT = """\
data_source: orders
owner_team: data_engineering
freshness: {warn_after: 1 hour, error_after: 2 hours}
probe: {sql: {connection: WAREHOUSE_URL, table: orders, timestamp_column: loaded_at}}
"""
ASSETS = "assets:\n  - {id: orders, kind: source, owner: data_engineering}\n"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def run_check(registry: Path, url: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {"WAREHOUSE_URL": url, "PATH": "/usr/bin:/bin"}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "check", "--timeout", str(TIMEOUT),
         "--registry", str(registry)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    return time.monotonic() - start, done


def registry_dir(tmp_path: Path) -> Path:
    return worlds.write_registry(
        tmp_path / "registry", {"teams.yaml": TEAMS_ON_CALL + ASSETS, "orders.yaml": CONTRACT}
    )


def test_a_database_that_never_answers_does_not_outlive_the_timeout(
    tmp_path: Path, silent_server: int
) -> None:
    # The URL's own connect_timeout (60 s) would keep a non-daemon probe thread, and so the
    # process, alive for a minute.
    url = f"postgresql://probe@127.0.0.1:{silent_server}/db?connect_timeout=60"
    took, done = run_check(registry_dir(tmp_path), url)
    assert done.returncode == 2, done.stderr
    assert "timed out after 1.5 s" in done.stdout
    assert took < TIMEOUT + MARGIN, took


def test_a_locked_sqlite_warehouse_does_not_outlive_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, loaded_at TEXT)")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # every reader waits for the busy timeout
    try:
        took, done = run_check(registry_dir(tmp_path), f"sqlite:///{path}")
    finally:
        holder.close()
    assert done.returncode == 2, done.stderr
    assert "check failed" in done.stdout
    assert took < TIMEOUT + MARGIN, took


def test_a_probe_gives_up_when_its_sweep_does_not_at_its_own_longer_timeout(
    tmp_path: Path,
) -> None:
    """A 30 s busy timeout is cut to the sweep's 1.5 s: the probe thread ends with the sweep."""
    path = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, loaded_at TEXT)")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    prober = Prober({"WAREHOUSE_URL": f"sqlite:///{path}"}, statement_timeout=30.0)
    try:
        before = set(threading.enumerate())
        start = time.monotonic()
        probe = SqlProbe("WAREHOUSE_URL", "orders", "loaded_at")
        results = run_probes([("orders", probe)], prober.probe, timeout=TIMEOUT)
        assert results["orders"].error is not None
        workers = [t for t in set(threading.enumerate()) - before
                   if t.name.startswith("demarc-probe")]
        for worker in workers:  # wait (bounded) for the probe itself to give up
            worker.join(timeout=20)
        assert not any(worker.is_alive() for worker in workers)
        assert time.monotonic() - start < TIMEOUT + MARGIN
    finally:
        holder.close()
        prober.close()
