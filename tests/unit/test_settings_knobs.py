"""Every environment variable the bot reads is a setting, read and validated once: a
malformed value is a `SettingsError` naming the variable, never a silent default."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.settings import Settings, SettingsError

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_the_defaults() -> None:
    settings = Settings.from_env(GOOD)
    assert (settings.host, settings.log_level, settings.log_json) == ("0.0.0.0", "INFO", True)
    assert settings.lease_ttl == timedelta(seconds=20)
    assert settings.send_lease == settings.claim_lease == timedelta(minutes=2)
    assert settings.recheck == settings.notice_interval == timedelta(minutes=10)
    assert settings.drift_interval == timedelta(hours=1)
    assert settings.outbox_max_attempts == 6


def test_each_knob_is_read() -> None:
    settings = Settings.from_env({
        **GOOD, "DEMARC_HOST": "127.0.0.1", "LOG_LEVEL": "warning", "DEMARC_LOG_FORMAT": "text",
        "DEMARC_LEASE_TTL": "3", "DEMARC_SEND_LEASE": "4", "DEMARC_CLAIM_LEASE": "5.5",
        "DEMARC_RECHECK_SECONDS": "60", "DEMARC_OUTBOX_MAX_ATTEMPTS": "2",
        "DEMARC_NOTICE_SECONDS": "7", "DEMARC_DRIFT_SECONDS": "8",
    })
    assert (settings.host, settings.log_level, settings.log_json) == ("127.0.0.1", "WARNING", False)
    assert settings.lease_ttl == timedelta(seconds=3)
    assert settings.send_lease == timedelta(seconds=4)
    assert settings.claim_lease == timedelta(seconds=5.5)
    assert settings.recheck == timedelta(minutes=1)
    assert settings.outbox_max_attempts == 2
    assert settings.notice_interval == timedelta(seconds=7)
    assert settings.drift_interval == timedelta(seconds=8)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("DEMARC_LEASE_TTL", "twenty"),
        ("DEMARC_LEASE_TTL", "0"),
        ("DEMARC_SEND_LEASE", "-1"),
        ("DEMARC_CLAIM_LEASE", "nan"),
        ("DEMARC_RECHECK_SECONDS", "10m"),
        ("DEMARC_NOTICE_SECONDS", "inf"),
        ("DEMARC_DRIFT_SECONDS", "0"),
        ("DEMARC_OUTBOX_MAX_ATTEMPTS", "0"),
        ("DEMARC_OUTBOX_MAX_ATTEMPTS", "2.5"),
        ("LOG_LEVEL", "loud"),
        ("DEMARC_LOG_FORMAT", "xml"),
        ("DEMARC_RELOAD_INTERVAL", "-5"),
    ],
)
def test_a_malformed_value_is_named_with_its_problem(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD, name: raw})
    message = str(caught.value)
    assert f"{name} must be" in message
    assert repr(raw) in message
    assert "\n" not in message


def test_every_problem_is_told_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**GOOD, "DEMARC_LEASE_TTL": "x", "DEMARC_DRIFT_SECONDS": "y"})
    assert "DEMARC_LEASE_TTL" in str(caught.value)
    assert "DEMARC_DRIFT_SECONDS" in str(caught.value)


def test_the_outbox_delivery_settings() -> None:
    assert Settings.from_env(GOOD).outbox_concurrency == 8
    assert Settings.from_env(GOOD).outbox_round == timedelta(seconds=4)
    settings = Settings.from_env({**GOOD, "DEMARC_OUTBOX_CONCURRENCY": "16",
                                  "DEMARC_OUTBOX_ROUND_SECONDS": "0"})
    assert (settings.outbox_concurrency, settings.outbox_round) == (16, timedelta(0))


@pytest.mark.parametrize(
    ("name", "raw"),
    [("DEMARC_OUTBOX_CONCURRENCY", "0"), ("DEMARC_OUTBOX_CONCURRENCY", "65"),
     ("DEMARC_OUTBOX_CONCURRENCY", "eight"), ("DEMARC_OUTBOX_ROUND_SECONDS", "-1")],
)
def test_a_malformed_outbox_delivery_setting_is_named(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be"):
        Settings.from_env({**GOOD, name: raw})
