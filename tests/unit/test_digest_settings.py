"""The digest's time: DEMARC_DIGEST_AT in DEMARC_DIGEST_TZ, and when a week's digest is due."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.settings import Settings, SettingsError
from ownership.reports.digest_time import due_week, parse_schedule


def test_due_from_the_local_time_of_the_following_week() -> None:
    berlin = parse_schedule("Mon 09:00", "Europe/Berlin")
    assert due_week(datetime(2026, 11, 30, 7, 59, tzinfo=UTC), berlin) is None  # 08:59 local
    week = due_week(datetime(2026, 11, 30, 8, 0, tzinfo=UTC), berlin)
    assert week is not None
    assert (week.since, week.until) == (date(2026, 11, 23), date(2026, 11, 30))
    # the night before, 23:30 UTC on Sunday is already Monday 00:30 in Berlin: not yet 09:00
    assert due_week(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), berlin) is None


def test_settings_read_the_digest_and_refuse_nonsense() -> None:
    assert Settings.from_env({}, require_slack=False).digest is None
    digest = Settings.from_env(
        {"DEMARC_DIGEST_AT": "fri 16:30", "DEMARC_DIGEST_TZ": "UTC"}, require_slack=False
    ).digest
    assert digest is not None
    assert digest.weekday == 4
    with pytest.raises(SettingsError, match="expected a weekday and HH:MM"):
        Settings.from_env({"DEMARC_DIGEST_AT": "someday"}, require_slack=False)
    with pytest.raises(SettingsError, match="not a known zone"):
        Settings.from_env(
            {"DEMARC_DIGEST_AT": "mon 09:00", "DEMARC_DIGEST_TZ": "Mars/Olympus"},
            require_slack=False,
        )


def test_the_status_page_is_off_unless_configured_and_a_token_must_be_long() -> None:
    assert Settings.from_env({}, require_slack=False).status_page == "off"
    on = Settings.from_env(
        {"DEMARC_STATUS_PAGE": "token", "DEMARC_STATUS_TOKEN": "x" * 16}, require_slack=False
    )
    assert (on.status_page, on.status_token) == ("token", "x" * 16)
    assert "x" * 16 not in repr(on)
    with pytest.raises(SettingsError, match="16\\+ characters"):
        Settings.from_env({"DEMARC_STATUS_PAGE": "token"}, require_slack=False)
    with pytest.raises(SettingsError, match="off, token or proxy"):
        Settings.from_env({"DEMARC_STATUS_PAGE": "public"}, require_slack=False)
