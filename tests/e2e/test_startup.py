"""Start-up: settings from the environment, the registry holder, and a factory with no I/O."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.registry.holder import RegistryHolder
from bot.settings import Settings, SettingsError
from bot.slack.app import create_app
from ownership.errors import RegistryInvalid
from tests.conftest import EXAMPLE_REGISTRY, REPO_ROOT
from tests.fakes.fake_slack import FakeSlack

GOOD_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-1111-secret-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
}


# ---------------------------------------------------------------------- settings
def test_defaults() -> None:
    settings = Settings.from_env(GOOD_ENV)
    assert settings.registry_path == Path("registry")
    assert settings.database_url == "sqlite:///demarc.sqlite3"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.admins == ()
    assert settings.socket_mode is False


def test_every_setting_is_read() -> None:
    settings = Settings.from_env(
        {
            **GOOD_ENV,
            "SLACK_APP_TOKEN": "xapp-1-A1-secret",
            "DEMARC_REGISTRY": "examples/registry",
            "DEMARC_DATABASE_URL": "postgresql://demarc:pw@db/demarc",
            "PORT": "8080",
            "DEMARC_SLACK_API_URL": "http://127.0.0.1:1234/api",
            "DEMARC_ADMINS": "U0ALICE01, W0BOB0001",
        }
    )
    assert settings.socket_mode is True
    assert settings.registry_path == Path("examples/registry")
    assert settings.port == 8080
    assert settings.slack_api_url == "http://127.0.0.1:1234/api/"
    assert settings.admins == ("U0ALICE01", "W0BOB0001")


def test_missing_settings_are_named_on_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SLACK_BOT_TOKEN": "  "})
    message = str(caught.value)
    assert "\n" not in message
    assert "SLACK_BOT_TOKEN" in message
    assert "SLACK_SIGNING_SECRET" in message


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
    assert Settings.from_env(env).socket_mode


def test_slack_settings_are_optional_when_not_talking_to_slack() -> None:
    assert Settings.from_env({}, require_slack=False).slack_bot_token == ""


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DEMARC_ADMINS": "alice,U0BOB0001"}, "DEMARC_ADMINS"),
        ({"SLACK_BOT_TOKEN": "xapp-wrong-kind"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"DEMARC_SLACK_API_URL": "slack.com/api"}, "DEMARC_SLACK_API_URL"),
    ],
)
def test_bad_values_are_named_without_echoing_secrets(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD_ENV, **env})
    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    assert "wrong-kind" not in message  # token values never appear


def test_repr_has_no_secrets() -> None:
    settings = Settings.from_env(
        {
            **GOOD_ENV,
            "SLACK_APP_TOKEN": "xapp-1-A1-secret",
            "DEMARC_DATABASE_URL": "postgresql://demarc:db-password@db/demarc",
        }
    )
    for shown in (repr(settings), str(settings)):
        for secret in ("secret-token", "signing-secret-value", "xapp-1-A1-secret", "db-password"):
            assert secret not in shown
    assert "postgresql://demarc:***@db/demarc" in repr(settings)


# ---------------------------------------------------------------------- the factory
def test_importing_needs_no_environment_and_calls_nothing() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT)}
    code = "import bot.slack.app, bot.slack.web, bot.slack.listeners, bot.settings; print('ok')"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_create_app_calls_no_slack_api_and_starts_no_thread() -> None:
    with FakeSlack() as slack:
        settings = Settings.from_env({**GOOD_ENV, "DEMARC_SLACK_API_URL": slack.base_url})
        threads = threading.active_count()
        create_app(settings, RegistryHolder.from_path(EXAMPLE_REGISTRY))
        assert threading.active_count() <= threads  # earlier tests' threads may be ending
        assert slack.requests == []


# ---------------------------------------------------------------------- the registry holder
@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE_REGISTRY, tmp_path / "registry"))


def test_reload_keeps_the_last_good_registry(registry_copy: Path) -> None:
    holder = RegistryHolder.from_path(registry_copy)
    good = holder.registry
    teams = registry_copy / "teams.yaml"
    original = teams.read_text(encoding="utf-8")
    teams.write_text(original.replace("id: mlops_churn", "id: [not, an, id]"), encoding="utf-8")

    problems = holder.reload()
    assert any(p.is_error for p in problems)
    assert holder.registry is good
    assert holder.problems == tuple(problems)

    teams.write_text(original.replace("name: MLOps Churn", "name: Churn Squad"), encoding="utf-8")
    assert not any(p.is_error for p in holder.reload())
    assert holder.registry is not good
    assert holder.registry.teams["mlops_churn"].name == "Churn Squad"


def test_a_broken_registry_does_not_start(registry_copy: Path) -> None:
    (registry_copy / "teams.yaml").write_text("teams: [1, 2", encoding="utf-8")
    with pytest.raises(RegistryInvalid) as caught:
        RegistryHolder.from_path(registry_copy)
    assert any("teams.yaml" in str(p) and p.is_error for p in caught.value.problems)


def test_reads_during_reloads_always_see_a_whole_registry(registry_copy: Path) -> None:
    holder = RegistryHolder.from_path(registry_copy)
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(len(holder.registry.teams))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for _ in range(3):
        holder.reload()
    stop.set()
    for reader in readers:
        reader.join()
    assert seen
    assert set(seen) == {4}
