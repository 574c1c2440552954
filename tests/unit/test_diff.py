"""Every kind of contract change is classified breaking or not, with its reason; the change
policy gate lets a breaking change through only after its notice period."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from ownership.changes import covers, effective_date, gate
from ownership.diff import Change, diff_contract, diff_registries
from ownership.model import (
    AgeSla,
    ChangeNotice,
    ChangePolicy,
    Column,
    Contract,
    DeadlineSla,
    Registry,
    SqlProbe,
)
from ownership.sla_compare import compare_deadlines

DAILY = DeadlineSla("daily", "UTC", timedelta(minutes=30), time(2, 0))
BASE = Contract(
    id="customer_master_db",
    asset="customer_master_db",
    owner_team="data_engineering",
    consumer_teams=("mlops_churn", "mlops_recommender"),
    sla=DAILY,
    freshness=AgeSla(timedelta(hours=12), timedelta(hours=24)),
    schema=(
        Column("customer_id", "string", True),
        Column("signup_date", "date", True),
        Column("monthly_charges", "decimal(10,2)", False),
        Column("segment", "varchar(20)", False),
    ),
    change_policy=ChangePolicy("30 days notice via #data-changes", None, 30, "#data-changes"),
)


def kinds(old: Contract | None, new: Contract | None) -> list[tuple[str, str, bool]]:
    return [(c.kind, c.subject, c.breaking) for c in diff_contract(old, new)]


def with_columns(*columns: Column) -> Contract:
    return replace(BASE, schema=columns)


def test_no_change_no_changes() -> None:
    assert diff_contract(BASE, replace(BASE)) == []


def test_removed_column_is_breaking_with_a_reason() -> None:
    [change] = diff_contract(BASE, with_columns(*BASE.schema[:2], BASE.schema[3]))
    assert (change.kind, change.subject, change.breaking) == (
        "column_removed",
        "monthly_charges",
        True,
    )
    assert "queries and features reading it break" in change.reason
    assert change.old == "monthly_charges decimal(10,2)"


def test_added_optional_column_is_not_breaking_but_required_is() -> None:
    optional = with_columns(*BASE.schema, Column("region", "string", False))
    assert kinds(BASE, optional) == [("column_added_optional", "region", False)]
    required = with_columns(*BASE.schema, Column("region", "string", True))
    assert kinds(BASE, required) == [("column_added_required", "region", True)]


def test_renamed_column_is_one_breaking_change() -> None:
    renamed = with_columns(
        BASE.schema[0], BASE.schema[1], Column("monthly_charge", "decimal(10,2)"), BASE.schema[3]
    )
    [change] = diff_contract(BASE, renamed)
    assert (change.kind, change.old, change.new, change.breaking) == (
        "column_renamed",
        "monthly_charges",
        "monthly_charge",
        True,
    )


def test_removal_and_addition_of_different_types_are_not_a_rename() -> None:
    other = with_columns(*BASE.schema[:2], BASE.schema[3], Column("tier", "integer"))
    assert kinds(BASE, other) == [
        ("column_removed", "monthly_charges", True),
        ("column_added_optional", "tier", False),
    ]


@pytest.mark.parametrize(
    ("old", "new", "kind", "breaking"),
    [
        ("varchar(20)", "varchar(255)", "column_type_widened", False),
        ("varchar(20)", "text", "column_type_widened", False),
        ("varchar(255)", "varchar(20)", "column_type_narrowed", True),
        ("text", "varchar(20)", "column_type_narrowed", True),
        ("int", "bigint", "column_type_widened", False),
        ("bigint", "int", "column_type_narrowed", True),
        ("integer", "decimal(10,2)", "column_type_widened", False),
        ("decimal(10,2)", "decimal(12,2)", "column_type_widened", False),
        ("decimal(10,2)", "decimal(10,4)", "column_type_changed", True),
        ("float", "integer", "column_type_changed", True),
        ("string", "integer", "column_type_changed", True),
        ("date", "timestamp", "column_type_changed", True),
        ("timestamptz", "timestamp without time zone", "column_type_changed", True),
        ("number", "integer", "column_type_narrowed", True),
        ("mystery", "enigma", "column_type_changed", True),
    ],
)
def test_type_changes(old: str, new: str, kind: str, breaking: bool) -> None:
    before = with_columns(Column("x", old))
    after = with_columns(Column("x", new))
    assert kinds(before, after) == [(kind, "x", breaking)]


def test_spelling_of_the_same_type_is_not_breaking() -> None:
    before, after = with_columns(Column("x", "INTEGER")), with_columns(Column("x", "int4"))
    assert kinds(before, after) == [("column_type_respelled", "x", False)]


def test_required_added_and_removed_on_an_existing_column_are_breaking() -> None:
    before = with_columns(Column("x", "string", False))
    after = with_columns(Column("x", "string", True))
    assert kinds(before, after) == [("column_required_added", "x", True)]
    assert kinds(after, before) == [("column_required_removed", "x", True)]


def test_description_changes_are_not_breaking() -> None:
    before = with_columns(Column("x", "string", False, "old words"))
    after = with_columns(Column("x", "string", False, "new words"))
    assert kinds(before, after) == [("column_description_changed", "x", False)]
    assert kinds(BASE, replace(BASE, description="now described")) == [
        ("description_changed", "description", False)
    ]


@pytest.mark.parametrize(
    ("new", "kind", "breaking"),
    [
        (replace(DAILY, at=time(3, 0)), "sla_loosened", True),  # later update_time
        (replace(DAILY, max_delay=timedelta(hours=2)), "sla_loosened", True),  # longer delay
        (replace(DAILY, frequency="weekly", weekday=0), "sla_loosened", True),  # less often
        (replace(DAILY, at=time(1, 0)), "sla_tightened", False),
        (replace(DAILY, max_delay=timedelta(minutes=10)), "sla_tightened", False),
        (DeadlineSla("hourly", "UTC", timedelta(minutes=10), time(0, 15)), "sla_tightened", False),
        # same deadlines (02:30), written differently
        (replace(DAILY, at=time(2, 30), max_delay=timedelta(0)), "sla_reworded", False),
        # Berlin is ahead of UTC: 02:00 Berlin is earlier
        (replace(DAILY, timezone="Europe/Berlin"), "sla_tightened", False),
        (replace(DAILY, timezone="America/New_York"), "sla_loosened", True),
        (
            DeadlineSla("cron", "UTC", timedelta(minutes=30), cron="0 2 * * 1-5"),
            "sla_loosened",
            True,
        ),
    ],
)
def test_sla_changes(new: DeadlineSla, kind: str, breaking: bool) -> None:
    changes = diff_contract(BASE, replace(BASE, sla=new))
    assert [(c.kind, c.breaking) for c in changes] == [(kind, breaking)]
    assert changes[0].old == "daily, due 02:00 UTC, late after 02:30 UTC"


def test_moving_the_due_time_across_midnight_is_the_short_way() -> None:
    late_evening = replace(DAILY, at=time(23, 0), max_delay=timedelta(0))
    just_after = replace(DAILY, at=time(1, 0), max_delay=timedelta(0))
    how, words = compare_deadlines(late_evening, just_after)
    assert (how, words) == ("looser", "data may arrive up to 2 h later")


def test_sla_removed_is_breaking_and_added_is_not() -> None:
    assert kinds(BASE, replace(BASE, sla=None)) == [("sla_removed", "sla", True)]
    assert kinds(replace(BASE, sla=None), BASE) == [("sla_added", "sla", False)]


@pytest.mark.parametrize(
    ("new", "kind", "breaking"),
    [
        (AgeSla(timedelta(hours=12), timedelta(hours=48)), "freshness_loosened", True),
        (AgeSla(timedelta(hours=13), timedelta(hours=24)), "freshness_loosened", True),
        (AgeSla(None, timedelta(hours=24)), "freshness_loosened", True),  # warning dropped
        (AgeSla(timedelta(hours=6), timedelta(hours=24)), "freshness_tightened", False),
        (None, "freshness_removed", True),
    ],
)
def test_freshness_changes(new: AgeSla | None, kind: str, breaking: bool) -> None:
    assert kinds(BASE, replace(BASE, freshness=new)) == [(kind, "freshness", breaking)]


def test_freshness_added_is_not_breaking() -> None:
    assert kinds(replace(BASE, freshness=None), BASE) == [("freshness_added", "freshness", False)]


def test_owner_changed_is_breaking() -> None:
    [change] = diff_contract(BASE, replace(BASE, owner_team="mlops_churn"))
    assert (change.kind, change.breaking) == ("owner_changed", True)
    assert change.reason.startswith("the owner changes from data_engineering to mlops_churn")


def test_consumers_added_or_removed_are_not_breaking() -> None:
    fewer = replace(BASE, consumer_teams=("mlops_churn", "product"))
    assert kinds(BASE, fewer) == [
        ("consumer_added", "consumers", False),
        ("consumer_removed", "consumers", False),
    ]


def test_shorter_notice_period_is_breaking_other_policy_changes_are_not() -> None:
    shorter = replace(BASE, change_policy=replace(BASE.change_policy, notice_days=7))
    assert kinds(BASE, shorter) == [("notice_shortened", "change_policy", True)]
    none = replace(BASE, change_policy=ChangePolicy())
    assert kinds(BASE, none) == [("notice_shortened", "change_policy", True)]
    moved = replace(BASE, change_policy=replace(BASE.change_policy, channel="#changes"))
    assert kinds(BASE, moved) == [("change_policy_changed", "change_policy", False)]


def test_probe_alert_channel_and_contacts_are_not_breaking() -> None:
    new = replace(
        BASE,
        probe=SqlProbe("WAREHOUSE_URL", "customers", "updated_at"),
        alert_channel="#other",
        contacts=(("primary", "x@company.com"),),
    )
    assert kinds(BASE, new) == [
        ("probe_changed", "probe", False),
        ("alert_channel_changed", "alert_channel", False),
        ("contacts_changed", "contacts", False),
    ]


def test_contract_added_and_removed() -> None:
    assert kinds(None, BASE) == [("contract_added", "contract", False)]
    assert kinds(BASE, None) == [("contract_removed", "contract", True)]
    assert diff_contract(None, None) == []


def test_registry_diff_covers_every_contract_in_order() -> None:
    other = replace(BASE, id="b", asset="b")
    old = Registry(contracts={"customer_master_db": BASE, "b": other})
    moved = replace(other, id="c", asset="c")
    new = Registry(contracts={"customer_master_db": replace(BASE, owner_team="x"), "c": moved})
    assert [(c.contract, c.kind) for c in diff_registries(old, new)] == [
        ("b", "contract_removed"),
        ("c", "contract_added"),
        ("customer_master_db", "owner_changed"),
    ]


# ---------------------------------------------------------------------- the gate
REMOVED = Change("customer_master_db", "column_removed", "monthly_charges", True, "removed")


def notice(**kw: object) -> ChangeNotice:
    fields: dict[str, object] = {
        "id": "n1",
        "contract": "customer_master_db",
        "announced": date(2026, 10, 1),
        "change": "monthly_charges goes away",
    }
    fields.update(kw)
    return ChangeNotice(**fields)  # type: ignore[arg-type]


def registries(*notices: ChangeNotice, contract: Contract = BASE) -> tuple[Registry, Registry]:
    old = Registry(contracts={contract.id: contract})
    new = Registry(contracts={contract.id: contract}, change_notices=notices)
    return old, new


def test_breaking_change_without_notice_blocks_and_says_how_to_announce() -> None:
    [verdict] = gate([REMOVED], *registries(), today=date(2026, 11, 25))
    assert verdict.blocking
    assert "no change notice covers it" in verdict.why
    assert "30 days' notice" in verdict.why
    assert "effective 2026-12-25 at the earliest" in verdict.why


def test_notice_period_not_passed_blocks_with_days_left() -> None:
    [verdict] = gate([REMOVED], *registries(notice()), today=date(2026, 10, 15))
    assert verdict.blocking
    assert verdict.effective == date(2026, 10, 31)
    assert verdict.why.endswith("16 day(s) of notice left")


def test_notice_period_passed_lets_it_through() -> None:
    [verdict] = gate([REMOVED], *registries(notice()), today=date(2026, 10, 31))
    assert not verdict.blocking
    assert verdict.notice is not None
    assert verdict.notice.id == "n1"


def test_later_effective_date_is_respected_and_an_earlier_one_is_not() -> None:
    later = notice(effective=date(2026, 12, 1))
    [verdict] = gate([REMOVED], *registries(later), today=date(2026, 11, 1))
    assert verdict.blocking
    assert verdict.effective == date(2026, 12, 1)
    earlier = notice(effective=date(2026, 10, 5))  # validation rejects it; the gate ignores it
    assert effective_date(earlier, BASE) == date(2026, 10, 31)


def test_scope_limits_what_a_notice_covers() -> None:
    scoped = notice(scope=("segment",))
    assert not covers(scoped, REMOVED)
    [verdict] = gate([REMOVED], *registries(scoped), today=date(2027, 1, 1))
    assert verdict.blocking
    assert covers(notice(scope=("monthly_charges",)), REMOVED)
    assert covers(notice(scope=("column_removed",)), REMOVED)
    assert not covers(notice(contract="other"), REMOVED)


def test_no_notice_period_never_blocks_and_non_breaking_is_not_judged() -> None:
    relaxed = replace(BASE, change_policy=ChangePolicy())
    added = Change("customer_master_db", "column_added_optional", "x", False, "added")
    [verdict] = gate([REMOVED, added], *registries(contract=relaxed), today=date(2026, 1, 1))
    assert not verdict.blocking
    assert verdict.why == "the contract promises no notice period"


def test_notice_in_the_old_registry_still_counts() -> None:
    old = Registry(contracts={BASE.id: BASE}, change_notices=(notice(),))
    new = Registry(contracts={})
    removed = Change("customer_master_db", "contract_removed", "contract", True, "gone")
    [verdict] = gate([removed], old, new, today=date(2026, 11, 1))
    assert not verdict.blocking
