"""The signature check never raises, and the response_url allowlist cannot be extended."""

from __future__ import annotations

import pytest
from slack_sdk.signature import Clock

from bot.settings import Settings, SettingsError
from bot.slack.verification import RequestSignature, ResponseUrls
from tests.fakes.signing import signature

SECRET = "unit-secret"
NOW = 1_767_225_600
BODY = "token=x&command=%2Fwhoowns"


class FixedClock(Clock):
    def now(self) -> float:
        return float(NOW)


@pytest.fixture
def check() -> RequestSignature:
    return RequestSignature(SECRET, FixedClock())


def test_a_good_signature_passes(check: RequestSignature) -> None:
    assert check.is_valid(BODY.encode(), str(NOW), signature(SECRET, NOW, BODY))


@pytest.mark.parametrize(
    ("timestamp", "body"),
    [
        ("abc", BODY.encode()),
        ("", BODY.encode()),
        (None, BODY.encode()),
        ("9" * 5000, BODY.encode()),  # int() refuses more than 4300 digits
        (f"{NOW}.5", BODY.encode()),
        ("-1", BODY.encode()),
        (str(NOW - 301), BODY.encode()),
        (str(NOW + 301), BODY.encode()),
        ("١٧٦٧٢٢٥٦٠٠", BODY.encode()),  # int() reads these digits; Slack never sends them
        (str(NOW), b"\xff\xfe not utf-8"),
    ],
)
def test_anything_malformed_is_not_verified(
    check: RequestSignature, timestamp: str | None, body: bytes
) -> None:
    signed = signature(SECRET, timestamp or "", body.decode("utf-8", "replace"))
    assert check.is_valid(body, timestamp, signed) is False


@pytest.mark.parametrize("sig", [None, "", "v0=é", "v1=" + "0" * 64, "garbage"])
def test_bad_signatures_are_not_verified(check: RequestSignature, sig: str | None) -> None:
    assert check.is_valid(BODY.encode(), str(NOW), sig) is False


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T1/1/abc", True),
        ("https://hooks.slack.com.evil.example/commands", False),
        ("http://hooks.slack.com/commands/T1/1/abc", False),
        ("https://evil.example/?https://hooks.slack.com/", False),
        ("https://user@hooks.slack.com/", False),
        (None, False),
        (42, False),
    ],
)
def test_only_slack_response_urls_are_allowed(url: object, allowed: bool) -> None:
    assert ResponseUrls().allows(url) is allowed


def test_foreign_response_urls_are_dropped_from_the_context() -> None:
    context: dict[str, object] = {"response_url": "http://127.0.0.1:9/steal", "respond": "x"}
    ResponseUrls().check(context)
    assert context["response_url"] is None
    assert "respond" not in context


GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_the_allowlist_is_a_setting() -> None:
    settings = Settings.from_env(
        {**GOOD, "DEMARC_RESPONSE_URL_PREFIXES": "http://127.0.0.1:8080/response/, https://a.b/"}
    )
    assert settings.response_url_prefixes == ("http://127.0.0.1:8080/response/", "https://a.b/")
    assert Settings.from_env(GOOD).response_url_prefixes == ("https://hooks.slack.com/",)


@pytest.mark.parametrize(
    "raw", ["https://hooks.slack.com", "hooks.slack.com/", "javascript:x", ","]
)
def test_an_allowlist_entry_must_be_a_whole_origin(raw: str) -> None:
    with pytest.raises(SettingsError, match="DEMARC_RESPONSE_URL_PREFIXES"):
        Settings.from_env({**GOOD, "DEMARC_RESPONSE_URL_PREFIXES": raw})
