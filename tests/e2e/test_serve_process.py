"""`demarc serve` as a process: a port in use, and Socket Mode with Slack unreachable."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import EXAMPLE_REGISTRY, REPO_ROOT


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO_ROOT),
        "SLACK_BOT_TOKEN": "xoxb-process-test",
        "SLACK_SIGNING_SECRET": "process-test-secret",
        "DEMARC_REGISTRY": str(EXAMPLE_REGISTRY),
        "DEMARC_DATABASE_URL": f"sqlite:///{tmp_path / 'demarc.sqlite3'}",
        "DEMARC_RELOAD_INTERVAL": "0",
        "DEMARC_HOST": "127.0.0.1",
        **extra,
    }


def run_serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`demarc serve` that is expected to exit by itself."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused, and nobody can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_port_in_use_is_one_line_and_touches_nothing(tmp_path: Path, taken_port: int) -> None:
    env = base_env(tmp_path, PORT=str(taken_port), DEMARC_LOG_FORMAT="text")
    done = run_serve(env, tmp_path)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{taken_port}" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demarc.sqlite3").exists()  # no migration, no row


class Process:
    """A running `demarc serve` whose stderr is collected line by line."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def messages(self) -> list[str]:
        with self._lock:
            lines = list(self.lines)
        return [json.loads(line).get("message", "") if line.startswith("{") else line
                for line in lines]

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages() if text in m]
            if found:
                return found[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} in stderr:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self._reader.join(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        return code


def test_socket_mode_with_slack_unreachable_serves_health_and_retries(
    tmp_path: Path, closed_port: int
) -> None:
    env = base_env(
        tmp_path,
        PORT="0",
        SLACK_APP_TOKEN="xapp-1-A0DEMARC-unreachable",
        DEMARC_SLACK_API_URL=f"http://127.0.0.1:{closed_port}/api/",
    )
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
    process = Process(env, tmp_path)
    try:
        port = int(process.wait_for("listening on ").rsplit(":", 1)[1])
        process.wait_for("Socket Mode: cannot connect to Slack (attempt 1)")
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert response.status_code == 200, response.text
        checks = response.json()["checks"]
        assert checks["socket_mode"].startswith("not connected")
        assert checks["slack"].startswith("not connected")
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert "demarc_outbox_depth" in metrics.text
        # Slack's endpoint is not served in Socket Mode
        assert httpx.post(f"http://127.0.0.1:{port}/slack/events", timeout=5).status_code == 404
        process.wait_for("Socket Mode: cannot connect to Slack (attempt 2)")
    finally:
        code = process.stop()
    assert code == 0
    assert not [line for line in process.lines if "Traceback" in line], "\n".join(process.lines)
    attempts = [m for m in process.messages() if "Socket Mode: cannot connect" in m]
    assert len(attempts) >= 2
    assert all("\n" not in m and "Traceback" not in m for m in attempts)


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        ({"DEMARC_REGISTRY": "/no/such/registry"}, "fix the registry"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
    ],
    ids=["registry", "settings"],
)
def test_serve_that_cannot_start_as_configured_exits_3(
    tmp_path: Path, extra: dict[str, str], phrase: str
) -> None:
    env = base_env(tmp_path, PORT="0", DEMARC_LOG_FORMAT="text", **extra)
    done = run_serve(env, tmp_path)
    assert done.returncode == 3, done.stderr
    assert phrase in done.stderr
    assert "Traceback" not in done.stderr
