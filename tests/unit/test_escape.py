"""Nothing a user or a registry author writes may turn into a mention or a link."""

from __future__ import annotations

import pytest

from bot.blocks.escape import (
    bold,
    code,
    escape,
    link,
    truncate,
    unescape,
    user_mention,
    usergroup_mention,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U0ALICE01>", "&lt;@U0ALICE01&gt;"),
        ("<!subteam^S0DATAENG>", "&lt;!subteam^S0DATAENG&gt;"),
        ("R&D", "R&amp;D"),
        ("&lt;", "&amp;lt;"),
        ("plain_name", "plain_name"),
    ],
)
def test_escape_turns_control_characters_into_entities(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
    assert unescape(escaped) == raw


def test_escaped_text_has_no_angle_brackets_left() -> None:
    nasty = "<<!here>>&<https://evil.example|click> <#C123>"
    assert "<" not in escape(nasty)
    assert ">" not in escape(nasty)


def test_unescape_undoes_slack_escaping_once() -> None:
    assert unescape("a &amp;lt; b") == "a &lt; b"


@pytest.mark.parametrize("good", ["U0ALICE01", "W0123ABCD"])
def test_user_mention_for_valid_ids(good: str) -> None:
    assert user_mention(good) == f"<@{good}>"


@pytest.mark.parametrize(
    "bad", [None, "", "alice", "u0alice01", "U0A>", "U0ALICE01> <!channel", "S0DATAENG", "U"]
)
def test_user_mention_refuses_anything_else(bad: str | None) -> None:
    assert user_mention(bad) is None


def test_usergroup_mention_validates_the_id() -> None:
    assert usergroup_mention("S0DATAENG") == "<!subteam^S0DATAENG>"
    assert usergroup_mention("S0X> <!channel") is None
    assert usergroup_mention("U0ALICE01") is None
    assert usergroup_mention(None) is None


def test_link_only_for_plain_http_urls() -> None:
    assert link("https://wiki.example.com/a?b=1&c=2", "Runbook") == (
        "<https://wiki.example.com/a?b=1&amp;c=2|Runbook>"
    )
    assert link("https://x.example|<!channel>", "Runbook") == (
        "Runbook: https://x.example|&lt;!channel&gt;"
    )
    assert "<" not in link("javascript:alert(1)", "<b>")


def test_code_and_bold_escape_and_cannot_be_broken_out_of() -> None:
    assert code("a`<!here>`b") == "`a'&lt;!here&gt;'b`"
    assert bold("*R&D*") == "*R&amp;D*"


def test_truncate() -> None:
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdef", 4) == "abc…"
    assert len(truncate("x" * 500, 80)) == 80
