"""`change_notices:` in the registry, when their messages are due, and dbt's sources.json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.changes.notices import due_kinds, render_announcement, render_reminder
from ownership.errors import InvalidValue
from ownership.formats.dbt_results import parse_sources_json
from ownership.loader import load_registry
from ownership.model import ChangeNotice

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
TEAMS = (FIXTURES / "teams.yaml").read_text()
CONTRACT = """\
data_source: customer_master_db
owner_team: data_engineering
consumer_teams: [mlops_churn]
change_policy: {breaking_changes: "30 days notice via #data-changes"}
"""


def registry(tmp_path: Path, notices: str, contract: str = CONTRACT) -> Path:
    (tmp_path / "teams.yaml").write_text(TEAMS)
    (tmp_path / "c.yaml").write_text(contract)
    (tmp_path / "notices.yaml").write_text(notices)
    return tmp_path


def test_notices_load_with_defaults(tmp_path: Path) -> None:
    result = load_registry(
        registry(
            tmp_path,
            "change_notices:\n"
            "  - {contract: customer_master_db, announced: 2026-10-01, change: drop x, "
            "scope: [x, sla]}\n"
            "  - {id: later, contract: customer_master_db, announced: 2026-10-02, "
            "effective: 2026-12-01, change: drop y}\n",
        )
    )
    assert result.registry is not None, [str(p) for p in result.problems]
    first, second = result.registry.change_notices
    assert first == ChangeNotice(
        "customer_master_db@2026-10-01",
        "customer_master_db",
        date(2026, 10, 1),
        "drop x",
        None,
        ("x", "sla"),
        first.source,
    )
    assert first.source.line == 2
    assert (second.id, second.effective) == ("later", date(2026, 12, 1))


@pytest.mark.parametrize(
    ("notices", "line", "code", "words"),
    [
        (
            "change_notices:\n  - {contract: customer_mastr_db, announced: 2026-10-01, "
            "change: x}\n",
            2,
            "unknown-contract",
            "did you mean 'customer_master_db'?",
        ),
        (
            "change_notices:\n  - {contract: customer_master_db, announced: 2026-10-01, "
            "effective: 2026-10-10, change: x}\n",
            2,
            "notice-too-short",
            "only 9 day(s) after announced 2026-10-01; contract 'customer_master_db' promises "
            "30 days' notice",
        ),
        (
            "change_notices:\n  - {contract: customer_master_db, announced: 2026-10-01, "
            "effective: 2026-09-01, change: x}\n",
            2,
            "bad-value",
            "effective is before announced",
        ),
        (
            "change_notices:\n  - {contract: customer_master_db, announced: someday, change: x}\n",
            2,
            "bad-value",
            "expected a date",
        ),
        (
            "change_notices:\n  - {contract: customer_master_db, announced: 2026-10-01}\n",
            2,
            "missing-field",
            "needs 'change'",
        ),
        (
            "change_notices:\n  - {contract: customer_master_db, announced: 2026-10-01, "
            "change: x, scop: [a]}\n",
            2,
            "unknown-field",
            "did you mean 'scope'?",
        ),
        (
            "change_notices:\n  - {contract: customer_master_db, announced: 2026-10-01, change: x}"
            "\n  - {contract: customer_master_db, announced: 2026-10-01, change: y}\n",
            3,
            "duplicate-id",
            "give each an id",
        ),
    ],
)
def test_bad_notices_are_positioned(
    tmp_path: Path, notices: str, line: int, code: str, words: str
) -> None:
    result = load_registry(registry(tmp_path, notices))
    assert result.registry is None
    matching = [p for p in result.errors if p.code == code]
    assert matching, [str(p) for p in result.problems]
    assert matching[0].where.line == line
    assert words in matching[0].message


def test_notice_for_a_contract_without_change_channel_warns(tmp_path: Path) -> None:
    contract = (
        "data_source: customer_master_db\nowner_team: data_engineering\n"
        "change_policy: {notice_days: 7}\n"
    )
    result = load_registry(
        registry(
            tmp_path,
            "change_notices:\n  - {contract: customer_master_db, announced: 2026-10-01, "
            "change: x}\n",
            contract,
        )
    )
    assert result.registry is not None
    assert "no-change-channel" in {p.code for p in result.warnings}


NOTICE = ChangeNotice("n", "c", date(2026, 10, 1), "drop x")
EFFECTIVE = date(2026, 10, 31)


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (date(2026, 9, 30), []),  # not announced yet
        (date(2026, 10, 1), ["announce"]),
        (date(2026, 10, 23), ["announce"]),
        (date(2026, 10, 24), ["announce", "remind-7"]),
        (date(2026, 10, 30), ["announce", "remind-7", "remind-1"]),
        (date(2026, 10, 31), ["announce", "remind-7", "remind-1"]),  # effective today
        (date(2026, 11, 1), []),  # in effect: nothing more to say
    ],
)
def test_due_kinds(today: date, kinds: list[str]) -> None:
    assert due_kinds(NOTICE, EFFECTIVE, today) == kinds


def test_short_notice_skips_reminders_before_the_announcement() -> None:
    assert due_kinds(NOTICE, date(2026, 10, 5), date(2026, 10, 4)) == ["announce", "remind-1"]


def test_announcement_tags_consumer_groups_and_escapes_the_text(tmp_path: Path) -> None:
    result = load_registry(registry(tmp_path, "admins: []\n"))
    assert result.registry is not None
    reg = result.registry
    contract = reg.contracts["customer_master_db"]
    notice = ChangeNotice("n", contract.id, date(2026, 10, 1), "drop <x> & <!channel>")
    text, blocks = render_announcement(reg, contract, notice, EFFECTIVE, date(2026, 10, 1))
    shown = json.dumps(blocks)
    assert "<!subteam^S0MLCHURN>" in shown
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown
    assert "Sat 2026-10-31" in shown
    assert "(in 30 days)" in shown
    assert text.startswith("Breaking change to customer_master_db, effective 2026-10-31")
    reminder = render_reminder(reg, contract, EFFECTIVE, date(2026, 10, 30))
    assert "takes effect tomorrow" in reminder
    assert "<!subteam^S0MLCHURN>" in reminder


# ---------------------------------------------------------------------- dbt sources.json
def test_sources_json_results() -> None:
    data = json.loads((FIXTURES / "dbt" / "sources.json").read_text())
    generated, results = parse_sources_json(data)
    assert generated == datetime(2026, 11, 25, 6, 5, tzinfo=UTC)
    assert [(r.contract_id, r.status) for r in results] == [
        ("raw.fresh_events", "pass"),
        ("raw.stale_events", "error"),
        ("raw.broken_events", "runtime error"),
    ]
    assert results[0].max_loaded_at == datetime(2026, 11, 25, 5, 30, tzinfo=UTC)
    assert results[2].max_loaded_at is None
    assert results[2].error is not None
    assert "does not exist" in results[2].error


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "not a dbt sources.json"),
        ({"results": [{"status": "pass"}]}, "results[0] has no unique_id"),
        ({"results": [{"unique_id": "model.a.b", "status": "pass"}]}, "is not a source"),
        ({"results": [{"unique_id": "source.p.s.t", "status": "fine"}]}, "status 'fine'"),
        (
            {"results": [{"unique_id": "source.p.s.t", "status": "pass", "max_loaded_at": 5}]},
            "max_loaded_at must be an ISO timestamp",
        ),
    ],
)
def test_bad_sources_json_says_what(data: object, words: str) -> None:
    with pytest.raises(InvalidValue, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_sources_json(data)
