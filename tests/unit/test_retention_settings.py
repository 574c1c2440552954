"""Retention settings: days of history kept (0 keeps it forever), batch size, job interval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import retention_policy
from bot.settings import Settings, SettingsError

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_defaults_keep_a_month_of_checks_and_a_week_of_delivered_messages() -> None:
    policy = retention_policy(Settings.from_env(GOOD))
    assert (policy.checks, policy.outbox, policy.batch) == (
        timedelta(days=30), timedelta(days=7), 5000,
    )
    assert Settings.from_env(GOOD).retention_interval == timedelta(minutes=1)


def test_each_retention_setting_is_read_and_zero_keeps_forever() -> None:
    settings = Settings.from_env({
        **GOOD, "DEMARC_RETAIN_CHECKS_DAYS": "0", "DEMARC_RETAIN_OUTBOX_DAYS": "3",
        "DEMARC_RETENTION_BATCH": "200", "DEMARC_RETENTION_SECONDS": "30",
    })
    policy = retention_policy(settings)
    assert (policy.checks, policy.outbox, policy.batch) == (None, timedelta(days=3), 200)
    assert settings.retention_interval == timedelta(seconds=30)


@pytest.mark.parametrize(("name", "raw"), [
    ("DEMARC_RETAIN_CHECKS_DAYS", "-1"), ("DEMARC_RETAIN_CHECKS_DAYS", "1.5"),
    ("DEMARC_RETAIN_OUTBOX_DAYS", "week"), ("DEMARC_RETENTION_BATCH", "0"),
])
def test_a_malformed_retention_setting_is_named(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**GOOD, name: raw})
