"""Block Kit for answers: the 3 AM layout, escaping of every registry/user string, limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import MAX_BLOCKS, SECTION_TEXT_LIMIT, cap_blocks, context, fit_lines, ids
from bot.blocks.alerts import AlertView, render_alert, render_alert_text
from bot.blocks.answers import (
    SHARE_BUTTON_TEXT,
    render_answer,
    render_answer_text,
    render_usage,
)
from ownership.answers import (
    ActivityAnswer,
    AssetAnswer,
    ContractSummary,
    LinkedAsset,
    NotFound,
    TeamRoles,
)
from ownership.model import Activity, Asset, Contract, Person, Role, Team, UserGroup
from ownership.timeparse import format_instant

RA = frozenset({Role.RESPONSIBLE, Role.ACCOUNTABLE})
C = frozenset({Role.CONSULTED})

DATA_ENG = Team("data_engineering", "Data Engineering", usergroup=UserGroup("S0DATAENG"))
CHURN = Team("mlops_churn", "MLOps Churn", usergroup=UserGroup("S0MLCHURN"))
NO_GROUP = Team("product", "Product Analytics")
DANA = Person("Dana Kowalski", slack_id="U0DANAKOW")

SOURCE = Asset("customer_master_db", "source")
FEATURE = Asset("customer_age", "feature", description="Customer age in years.")
MODEL = Asset("churn_model", "model")
CONTRACT = Contract("customer_age", asset="customer_age", owner_team="data_engineering")


def asset_answer(**changes: Any) -> AssetAnswer:
    base: dict[str, Any] = {
        "asset": FEATURE,
        "matched_by": "id",
        "teams": (TeamRoles(CHURN, RA, DANA), TeamRoles(DATA_ENG, C)),
        "contract": ContractSummary(CONTRACT, "daily, due 02:00 UTC, late after 02:30 UTC"),
        "upstream": (LinkedAsset(SOURCE, (TeamRoles(DATA_ENG, RA),)),),
        "downstream": (LinkedAsset(MODEL, (TeamRoles(CHURN, RA),)),),
        "runbook": "https://wiki.example.com/runbooks/churn-features",
    }
    base.update(changes)
    return AssetAnswer(**base)


def texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every string Slack shows (button values are data sent back to us, never shown)."""
    stack: list[Any] = [blocks]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k != "value")
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            yield item


def all_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))


# Control sequences our own code may produce; anything else in <…> came from data.
ALLOWED_CONTROL = re.compile(r"<(@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+|https?://[^|>\s]+\|[^<>]*)>")


def assert_only_our_control_sequences(blocks: list[dict[str, Any]]) -> None:
    for text in texts(blocks):
        leftover = ALLOWED_CONTROL.sub("", text)
        assert "<" not in leftover, text
        assert ">" not in leftover, text


# ---------------------------------------------------------------------- layout
def test_asset_answer_layout() -> None:
    blocks = render_answer(asset_answer(), query="customer_age", shareable=True)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "customer_age (feature)", "emoji": True},
    }
    text = all_text(blocks)
    # A question is not a page: teams and people are named, never mentioned.
    assert "*R/A*  *MLOps Churn* — on call: Dana Kowalski" in text
    assert "*C*  *Data Engineering*" in text
    assert "S0DATAENG" not in text
    assert not any(ping in text for ping in ("<@", "<!subteam", "<!channel", "<!here"))
    assert "Contract: daily, due 02:00 UTC, late after 02:30 UTC · owner Data Engineering" in text
    assert "⬆ customer_master_db (source) — R/A Data Engineering" in text
    assert "⬇ churn_model (model) — R/A MLOps Churn" in text
    assert "<https://wiki.example.com/runbooks/churn-features|Runbook>" in text
    assert "Customer age in years." in text
    assert_only_our_control_sequences(blocks)


def test_upstream_lines_carry_the_contract_the_data_arrives_under() -> None:
    source_contract = ContractSummary(
        Contract("customer_master_db", "customer_master_db", "data_engineering"),
        "daily, due 02:00 UTC, late after 02:30 UTC",
        status="late",
    )
    upstream = (LinkedAsset(SOURCE, (TeamRoles(DATA_ENG, RA),), contract=source_contract),)
    downstream = (LinkedAsset(MODEL, (TeamRoles(CHURN, RA),), contract=source_contract),)
    text = all_text(render_answer(asset_answer(upstream=upstream, downstream=downstream)))
    assert (
        "⬆ customer_master_db (source) — R/A Data Engineering"
        " · contract: daily, due 02:00 UTC, late after 02:30 UTC, now late"
    ) in text
    assert "⬇ churn_model (model) — R/A MLOps Churn\n" in text + "\n"  # downstream: no contract


def test_share_button_carries_the_query_and_the_shared_action_id() -> None:
    blocks = render_answer(asset_answer(), query="age", shareable=True)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    button = actions[0]["elements"][0]
    assert button["action_id"] == ids.SHARE_ANSWER_ACTION
    assert button["value"] == "age"
    assert button["text"]["text"] == SHARE_BUTTON_TEXT


def test_no_button_unless_shareable_and_shared_by_line_when_shared() -> None:
    blocks = render_answer(asset_answer(), query="customer_age", shared_by="U0ASKER001")
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "Shared by U0ASKER001" in all_text(blocks)  # a name as text: never a mention
    assert "<@" not in all_text(blocks)
    assert "Shared by" not in all_text(render_answer(asset_answer(), shared_by=""))
    evil = all_text(render_answer(asset_answer(), shared_by="<!channel>"))
    assert "Shared by &lt;!channel&gt;" in evil


def test_team_without_usergroup_is_bold_and_person_without_slack_id_is_plain() -> None:
    answer = asset_answer(teams=(TeamRoles(NO_GROUP, RA, Person("Hana Sato")),))
    assert "*R/A*  *Product Analytics* — on call: Hana Sato" in all_text(render_answer(answer))


def test_fuzzy_match_says_what_was_asked() -> None:
    blocks = render_answer(asset_answer(matched_by="fuzzy"), query="custmer age")
    assert "Best match for `custmer age`" in all_text(blocks)
    assert "Best match" not in all_text(render_answer(asset_answer(), query="customer_age"))


def test_contract_without_sla_and_answer_without_contract_or_lineage() -> None:
    no_sla = asset_answer(contract=ContractSummary(CONTRACT, None, status="late"))
    assert "Contract: no delivery SLA · owner Data Engineering · now late" in all_text(
        render_answer(no_sla)
    )
    bare = render_answer(asset_answer(contract=None, upstream=(), downstream=(), runbook=None))
    assert "Contract" not in all_text(bare)
    assert "⬆" not in all_text(bare)


def test_activity_answer_lists_each_team_role() -> None:
    activity = Activity("feature_engineering", "Feature engineering", roles=())
    answer = ActivityAnswer(activity, (TeamRoles(CHURN, RA, DANA), TeamRoles(DATA_ENG, C)))
    blocks = render_answer(answer, query="feature engineering", shareable=True)
    assert blocks[0]["text"]["text"] == "Feature engineering (activity)"
    text = all_text(blocks)
    # A question is not a page: teams and people are named, never mentioned.
    assert "*R/A*  *MLOps Churn* — on call: Dana Kowalski" in text
    assert "*C*  *Data Engineering*" in text
    assert "S0DATAENG" not in text
    assert not any(ping in text for ping in ("<@", "<!subteam", "<!channel", "<!here"))
    assert render_answer_text(answer) == (
        "Feature engineering (activity): R/A MLOps Churn; C Data Engineering"
    )


def test_not_found_with_suggestions() -> None:
    answer = NotFound("custmer_age", ("customer_age", "customer_master_db"))
    blocks = render_answer(answer, query="custmer_age", shareable=True)
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    "No asset or activity called `custmer_age`. "
                    "Did you mean: customer_age, customer_master_db?"
                ),
            },
        }
    ]
    assert render_answer_text(answer) == blocks[0]["text"]["text"]


def test_usage_mentions_the_command() -> None:
    assert "/whoowns customer_age" in all_text(render_usage())


# ---------------------------------------------------------------------- escaping
def test_registry_text_cannot_ping_anyone() -> None:
    evil_team = Team("rnd", "R&D <!here>", usergroup=UserGroup("S0X> <!channel"))
    evil_person = Person("<@U0EVIL001>", email="x@example.com")
    answer = asset_answer(
        asset=Asset("<!channel>", "feature<!here>", description="Ping <!channel> & <@U0EVIL001>"),
        teams=(TeamRoles(evil_team, RA, evil_person),),
        contract=ContractSummary(CONTRACT, "<!everyone> daily", status="<!here>"),
        upstream=(LinkedAsset(Asset("<#C0GENERAL>", "source"), (TeamRoles(evil_team, RA),)),),
        runbook="https://x.example|<!channel>",
        warnings=("<!channel> beware",),
    )
    blocks = render_answer(answer, query="<!channel>", shareable=True)
    assert_only_our_control_sequences(blocks)
    text = all_text(blocks)
    assert "&lt;!channel&gt;" in text
    assert "*R&amp;D &lt;!here&gt;*" in text
    assert "<!subteam" not in text  # a malformed usergroup id is never turned into a mention
    assert "<!" not in render_answer_text(answer)


def test_query_is_escaped_in_not_found() -> None:
    blocks = render_answer(NotFound("<!channel>", ("<!here>",)), query="<!channel>")
    assert blocks[0]["text"]["text"] == (
        "No asset or activity called `&lt;!channel&gt;`. Did you mean: &lt;!here&gt;?"
    )
    assert_only_our_control_sequences(blocks)


# ---------------------------------------------------------------------- Slack limits
def test_many_teams_are_cut_to_fit_a_section_with_a_count() -> None:
    teams = tuple(
        TeamRoles(Team(f"t{i}", f"Team {i} " + "x" * 200, usergroup=UserGroup(f"S0T{i:05d}")), C)
        for i in range(100)
    )
    blocks = render_answer(asset_answer(teams=teams))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= SECTION_TEXT_LIMIT for s in sections)
    team_section = next(s for s in sections if "Team 0" in s)
    shown = team_section.count("*C*  ")
    assert team_section.endswith(f"… and {100 - shown} more")
    assert 0 < shown < 100


def test_long_lineage_is_summarised() -> None:
    upstream = tuple(LinkedAsset(Asset(f"src_{i}", "source"), ()) for i in range(20))
    text = all_text(render_answer(asset_answer(upstream=upstream, downstream=())))
    assert "⬆ src_7 (source) — no owner on record" in text
    assert "src_8" not in text
    assert "⬆ … and 12 more" in text


def test_header_is_cut_to_150_characters() -> None:
    blocks = render_answer(asset_answer(asset=Asset("a" * 400, "feature")))
    assert len(blocks[0]["text"]["text"]) == 150
    assert blocks[0]["text"]["text"].endswith("…")


def test_fit_lines_and_cap_blocks() -> None:
    assert fit_lines(["a", "b"], limit=10) == "a\nb"
    assert fit_lines(["aaaa", "b" * 20, "cc"], limit=20) == "aaaa\n… and 2 more"
    assert fit_lines(["a" * 30, "b"], limit=20) == "… and 2 more"
    assert fit_lines([], limit=10) == ""
    lines = [f"line {i}" for i in range(1000)]
    assert len(fit_lines(lines)) <= SECTION_TEXT_LIMIT
    many = [context(str(i)) for i in range(80)]
    capped = cap_blocks(many)
    assert len(capped) == MAX_BLOCKS
    assert capped[-1] == context("… and 31 more")


def test_blocks_are_json_and_pure() -> None:
    answer = asset_answer()
    first = render_answer(answer, query="customer_age", shareable=True)
    assert json.loads(json.dumps(first)) == first
    assert render_answer(answer, query="customer_age", shareable=True) == first


@pytest.mark.parametrize("answer", [asset_answer(), NotFound("x")])
def test_text_fallback_never_mentions(answer: AssetAnswer | NotFound) -> None:
    assert "<@" not in render_answer_text(answer)
    assert "<!" not in render_answer_text(answer)


# ---------------------------------------------------------------------- late-data alerts
ALERT_CONTRACT = Contract("customer_master_db", "customer_master_db", "data_engineering")
CHECKED = datetime(2026, 11, 25, 5, 31, tzinfo=UTC)


def alert_view(**changes: Any) -> AlertView:
    base: dict[str, Any] = {
        "alert_id": 7,
        "contract": ALERT_CONTRACT,
        "kind": "late",
        "status": "open",
        "sla_words": "daily, due 02:00 UTC, late after 02:30 UTC",
        "owner": DATA_ENG,
        "oncall": None,
        "consumers": (CHURN,),
        "now": CHECKED,
        "checked_at": CHECKED,
        "as_of": CHECKED,
        "last_update": datetime(2026, 11, 24, 1, 50, tzinfo=UTC),
        "deadline": datetime(2026, 11, 25, 2, 30, tzinfo=UTC),
        "late_by": timedelta(hours=3, minutes=1),
    }
    base.update(changes)
    return AlertView(**base)


def test_a_late_root_says_since_when_it_is_late_and_when_data_last_arrived() -> None:
    text = all_text(render_alert(alert_view()))
    assert "Late since 02:30 UTC (over 3 h). Data last arrived Nov 24 01:50 UTC." in text
    assert "past the deadline" not in text  # read as if the update were late
    assert "As of 05:31 UTC" in text
    assert render_alert_text(alert_view()) == (
        "customer_master_db is late since 02:30 UTC (over 3 h)"
    )


def test_a_late_root_is_rendered_from_its_check_not_from_the_time_of_rendering() -> None:
    later = alert_view(now=CHECKED + timedelta(hours=20))  # re-rendered (a snooze, a link)
    assert render_alert(later) == render_alert(alert_view())
    assert render_alert_text(later) == render_alert_text(alert_view())


def test_the_lateness_shown_changes_in_coarse_steps_that_stay_true() -> None:
    def shown(late: timedelta) -> str:
        return render_alert_text(alert_view(late_by=late))

    assert shown(timedelta(seconds=1)) == "customer_master_db is late since 02:30 UTC"
    assert shown(timedelta(minutes=59)) == shown(timedelta(seconds=1))
    assert shown(timedelta(hours=1)) == "customer_master_db is late since 02:30 UTC (over 1 h)"
    assert shown(timedelta(hours=3, minutes=1)) == shown(timedelta(hours=3, minutes=59))
    assert "over 47 h" in shown(timedelta(hours=47, minutes=59))
    assert "over 69 days" in shown(timedelta(days=69, hours=3))


def test_times_in_an_alert_after_a_long_outage_keep_their_date_year_and_padding() -> None:
    view = alert_view(
        checked_at=datetime(2027, 2, 8, 2, 47, tzinfo=UTC),
        as_of=datetime(2027, 2, 8, 2, 47, tzinfo=UTC),
        last_update=datetime(2026, 12, 1, 2, 7, tzinfo=UTC),
        deadline=datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
        late_by=timedelta(days=69, minutes=17),
    )
    text = all_text(render_alert(view))
    assert "Late since Dec 01, 2026 02:30 UTC (over 69 days)." in text
    assert "Data last arrived Dec 01, 2026 02:07 UTC." in text
    assert "As of 02:47 UTC" in text


def test_format_instant_is_zero_padded_with_the_date_and_year_when_needed() -> None:
    ref = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert format_instant(datetime(2026, 12, 1, 2, 7, tzinfo=UTC), ref) == "02:07 UTC"
    assert format_instant(datetime(2026, 11, 3, 2, 7, tzinfo=UTC), ref) == "Nov 03 02:07 UTC"
    assert format_instant(datetime(2025, 12, 1, 2, 7, tzinfo=UTC), ref) == (
        "Dec 01, 2025 02:07 UTC"
    )
    berlin = datetime(2026, 12, 1, 3, 7, tzinfo=ZoneInfo("Europe/Berlin"))
    assert format_instant(berlin, ref) == "02:07 UTC"


def test_a_recovered_root_and_a_root_with_no_data_ever() -> None:
    recovered = alert_view(status="recovered", late_by=timedelta(minutes=47),
                           last_update=datetime(2026, 11, 25, 3, 17, tzinfo=UTC))
    assert "*recovered*, 47 min late: data arrived 03:17 UTC." in all_text(render_alert(recovered))
    never = alert_view(last_update=None)
    assert "No data has arrived yet." in all_text(render_alert(never))


def test_the_contract_line_names_the_owner_team_even_when_it_holds_no_role_here() -> None:
    summary = ContractSummary(
        Contract("customer_age", "customer_age", "platform"),
        "daily, due 02:00 UTC, late after 02:30 UTC",
        owner_name="Data Platform",
    )
    text = all_text(render_answer(asset_answer(contract=summary)))
    assert "owner Data Platform" in text
    assert "platform" not in text.replace("Data Platform", "")
