"""Each validation rule of ownership/rules/ on its own, on small registries built here.

The loader tests (test_loader.py, test_notices.py) cover the rules through YAML; these pin
each rule's trigger, its silence on a good registry, and what the problem carries (where,
severity, code, the unresolved name in `refs`), and the order `validate` composes them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ownership.errors import Problem, Severity
from ownership.model import (
    Activity,
    AgeSla,
    Asset,
    ChangeNotice,
    ChangePolicy,
    Contract,
    DeadlineSla,
    Person,
    Registry,
    Role,
    Rotation,
    Silence,
    SourceRef,
    SqlProbe,
    Team,
    UserGroup,
)
from ownership.rules import antipatterns, lineage, notices, raci, references
from ownership.rules.context import RuleContext
from ownership.validation import validate

R, A, C = Role.RESPONSIBLE, Role.ACCOUNTABLE, Role.CONSULTED
ANA = Person("Ana", slack_id="U1")
ROTATION = Rotation((ANA,), 7, time(9, 0), "UTC", date(2026, 1, 5))
SLA = DeadlineSla("daily", "UTC", timedelta(hours=2), time(6, 0))
PROBE = SqlProbe("WAREHOUSE_URL", "orders", "updated_at")


def team(team_id: str = "de", **changes: Any) -> Team:
    """A team with everything the rules ask for, unless `changes` take it away."""
    fields: dict[str, Any] = {
        "name": team_id.upper(),
        "discipline": "data-engineering" if team_id == "de" else "mlops",
        "usergroup": UserGroup("S" + team_id),
        "oncall_channel": f"#{team_id}-oncall",
        "members": (ANA,),
        "rotation": ROTATION,
        "source": SourceRef("teams.yaml", 1, 3),
    }
    return Team(team_id, **(fields | changes))


def contract(**changes: Any) -> Contract:
    fields: dict[str, Any] = {
        "asset": "orders",
        "owner_team": "de",
        "consumer_teams": ("ml",),
        "sla": SLA,
        "probe": PROBE,
        "source": SourceRef("contracts/orders.yaml", 1, 1),
    }
    return Contract("orders", **(fields | changes))


def registry(
    assets: Iterable[Asset] = (),
    *,
    teams: Iterable[Team] = (),
    activities: Iterable[Activity] = (),
    contracts: Iterable[Contract] = (),
    **more: Any,
) -> Registry:
    """Teams `de` and `ml` unless given; the rest keyed by id as the loader does."""
    return Registry(
        teams={t.id: t for t in (teams or (team("de"), team("ml")))},
        assets={a.id: a for a in assets},
        activities={a.id: a for a in activities},
        contracts={c.id: c for c in contracts},
        **more,
    )


def ctx(*assets: Asset, **kw: Any) -> RuleContext:
    return RuleContext.of(registry(assets, **kw))


def asset(asset_id: str = "orders", **changes: Any) -> Asset:
    fields: dict[str, Any] = {
        "kind": "table",
        "owner": "de",
        "runbook": "https://runbooks/orders",
        "source": SourceRef("assets.yaml", 4, 5),
    }
    return Asset(asset_id, **(fields | changes))


def activity(roles: Any, **changes: Any) -> Activity:
    return Activity("ingest", "Ingestion", roles, source=SourceRef("raci.yaml", 2, 3), **changes)


def codes(problems: Iterable[Problem]) -> list[str]:
    return [p.code for p in problems]


def only(problems: Iterable[Problem]) -> Problem:
    found = list(problems)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------- references
def test_an_alias_may_not_be_another_assets_id() -> None:
    problem = only(
        references.aliases_are_unique(ctx(asset("orders"), asset("sales", aliases=("orders",))))
    )
    assert problem.message == "alias 'orders' of asset 'sales' is already used by 'orders'"
    assert (problem.code, problem.severity, problem.where) == (
        "duplicate-id",
        Severity.ERROR,
        SourceRef("assets.yaml", 4, 5),
    )


def test_an_alias_may_not_repeat_another_assets_alias_in_any_case() -> None:
    problems = references.aliases_are_unique(
        ctx(asset("orders", aliases=("Ord", "ord")), asset("sales", aliases=("ORD",)))
    )
    assert [p.message for p in problems] == [
        "alias 'ORD' of asset 'sales' is already used by 'orders'"
    ]


def test_distinct_aliases_pass() -> None:
    context = ctx(asset("orders", aliases=("ord",)), asset("sales", aliases=("sls",)))
    assert list(references.aliases_are_unique(context)) == []


def test_an_activity_key_is_a_team_or_a_discipline() -> None:
    row = activity(
        (("de", frozenset({R, A})), ("mlops", frozenset({C})), ("dee", frozenset({C}))),
        at={"roles.dee": SourceRef("raci.yaml", 9, 7)},
    )
    problem = only(references.activity_keys_resolve(ctx(), row))
    assert problem.message == (
        "activity 'ingest': 'dee' is neither a team nor a discipline; did you mean 'de'?"
    )
    assert (problem.where, problem.code, problem.refs) == (
        SourceRef("raci.yaml", 9, 7),
        "unknown-team",
        ("dee",),
    )


def test_a_raci_kind_maps_to_an_activity() -> None:
    context = ctx(
        activities=[activity(())],
        kind_activities={"table": "ingestt", "model": "ingest", "feature": "training"},
        kind_sources={"table": SourceRef("raci.yaml", 20, 10)},
    )
    problems = list(references.kinds_map_to_activities(context))
    assert [(p.where, p.message, p.refs) for p in problems] == [
        (
            SourceRef("raci.yaml", 20, 10),
            "raci kind 'table' maps to unknown activity 'ingestt'; did you mean 'ingest'?",
            ("ingestt",),
        ),
        (
            SourceRef("raci.kinds"),
            "raci kind 'feature' maps to unknown activity 'training'",
            ("training",),
        ),
    ]
    assert codes(problems) == ["unknown-activity"] * 2


def test_an_assets_owner_is_a_team() -> None:
    bad = asset(owner="mll", at={"owner": SourceRef("assets.yaml", 6, 14)})
    problem = only(references.asset_owner_is_team(ctx(bad), bad))
    assert problem.message == "asset 'orders' owner 'mll' is not a team; did you mean 'ml'?"
    assert (problem.where, problem.code, problem.refs) == (
        SourceRef("assets.yaml", 6, 14),
        "unknown-team",
        ("mll",),
    )
    assert list(references.asset_owner_is_team(ctx(), asset(owner=None))) == []
    assert list(references.asset_owner_is_team(ctx(), asset())) == []


def test_an_assets_raci_keys_are_teams_or_disciplines() -> None:
    bad = asset(raci=(("mlops", frozenset({C})), ("qa", frozenset({C}))))
    problem = only(references.asset_raci_keys_resolve(ctx(bad), bad))
    assert problem.message == "asset 'orders' raci: 'qa' is neither a team nor a discipline"
    assert (problem.where, problem.refs) == (bad.source, ("qa",))  # no position: the asset's


def test_an_assets_activity_exists() -> None:
    bad = asset(activity="ingst")
    context = ctx(bad, activities=[activity(())])
    problem = only(references.asset_activity_exists(context, bad))
    assert problem.message == (
        "asset 'orders' activity 'ingst' is not an activity; did you mean 'ingest'?"
    )
    assert (problem.code, problem.refs) == ("unknown-activity", ("ingst",))
    assert list(references.asset_activity_exists(context, asset(activity="ingest"))) == []


def test_an_upstream_item_is_an_asset() -> None:
    sales = asset("sales", upstream=("orders", "order"))
    context = ctx(asset("orders"), sales)
    assert list(references.upstream_is_asset(context, sales, "orders")) == []
    problem = only(references.upstream_is_asset(context, sales, "order"))
    assert (
        problem.message == "asset 'sales' upstream 'order' is not an asset; did you mean 'orders'?"
    )
    assert (problem.code, problem.refs) == ("unknown-asset", ("order",))


def test_a_contracts_owner_and_consumers_are_teams() -> None:
    bad = contract(owner_team="dex", at={"consumer_teams[mx]": SourceRef("c.yaml", 3, 18)})
    context = ctx(contracts=[bad])
    owner = only(references.contract_owner_is_team(context, bad))
    assert owner.message == "contract 'orders' owner_team 'dex' is not a team; did you mean 'de'?"
    assert owner.refs == ("dex",)
    consumer = only(references.consumer_is_team(context, bad, "mx"))
    assert consumer.message == "contract 'orders' consumer team 'mx' is not a team"
    assert (consumer.where, consumer.code) == (SourceRef("c.yaml", 3, 18), "unknown-team")
    assert list(references.consumer_is_team(context, bad, "ml")) == []


def test_a_silence_names_an_asset() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    where = SourceRef("silences.yaml", 2, 5)
    silences = (Silence("ordrs", at, at + timedelta(hours=1), source=where),)
    context = ctx(asset("orders"), silences=silences)
    problem = only(references.silence_asset_exists(context, silences[0]))
    assert problem.message == "silence for unknown asset 'ordrs'; did you mean 'orders'?"
    assert (problem.where, problem.code, problem.refs) == (where, "unknown-asset", ("ordrs",))
    fine = Silence("orders", at, at + timedelta(hours=1))
    assert list(references.silence_asset_exists(context, fine)) == []


# ---------------------------------------------------------------------- RACI
def test_an_activity_has_exactly_one_accountable() -> None:
    nobody = activity((("de", frozenset({R})),))
    shared = activity((("de", frozenset({R, A})), ("mlops", frozenset({A}))))
    one = activity((("de", frozenset({R, A})), ("mlops", frozenset({C}))))
    assert only(raci.activity_has_one_accountable(ctx(), nobody)).message == (
        "activity 'ingest' has nobody Accountable"
    )
    problem = only(raci.activity_has_one_accountable(ctx(), shared))
    assert problem.message == (
        "activity 'ingest' has 2 Accountable teams (de, mlops): shared accountability is nobody's"
    )
    assert (problem.code, problem.severity) == ("several-accountable", Severity.WARNING)
    assert list(raci.activity_has_one_accountable(ctx(), one)) == []


def test_an_activity_has_someone_responsible() -> None:
    row = activity((("de", frozenset({A})),))
    problem = only(raci.activity_has_responsible(ctx(), row))
    assert (problem.message, problem.code) == (
        "activity 'ingest' has nobody Responsible",
        "no-responsible",
    )
    assert list(raci.activity_has_responsible(ctx(), activity((("de", frozenset({R})),)))) == []


def test_an_asset_nobody_owns() -> None:
    orphan = asset(owner=None, kind="dashboard")
    problem = only(raci.asset_has_owner(ctx(orphan), orphan))
    assert problem.message == (
        "asset 'orders' has no owner: set owner: or a raci kind for 'dashboard'"
    )
    assert (problem.code, problem.severity) == ("no-owner", Severity.WARNING)
    assert list(raci.asset_has_owner(ctx(asset()), asset())) == []
    # its contract's owner_team owns it too
    via_contract = asset(owner=None)
    assert list(raci.asset_has_owner(ctx(via_contract, contracts=[contract()]), via_contract)) == []


def test_an_owned_asset_has_exactly_one_accountable() -> None:
    responsible_only = asset(owner=None, raci=(("ml", frozenset({R})),))
    problem = only(raci.asset_has_one_accountable(ctx(responsible_only), responsible_only))
    assert (problem.message, problem.code) == (
        "asset 'orders' has nobody Accountable",
        "no-accountable",
    )
    shared = asset(raci=(("ml", frozenset({A})),))  # the owner de is A as well
    problem = only(raci.asset_has_one_accountable(ctx(shared), shared))
    assert problem.message == "asset 'orders' has 2 Accountable teams (de, ml)"
    assert problem.code == "several-accountable"
    orphan = asset(owner=None)  # asset_has_owner says so; not said twice
    assert list(raci.asset_has_one_accountable(ctx(orphan), orphan)) == []
    assert list(raci.asset_has_one_accountable(ctx(asset()), asset())) == []


# ---------------------------------------------------------------------- lineage
def test_an_asset_is_not_its_own_upstream() -> None:
    loop = asset(upstream=("orders",), at={"upstream[orders]": SourceRef("assets.yaml", 7, 19)})
    problem = only(lineage.upstream_is_not_itself(ctx(loop), loop, "orders"))
    assert (problem.where, problem.message, problem.code, problem.severity) == (
        SourceRef("assets.yaml", 7, 19),
        "asset 'orders' lists itself as upstream",
        "lineage-cycle",
        Severity.ERROR,
    )
    assert list(lineage.lineage_has_no_cycles(ctx(loop))) == []  # said once, above


def test_lineage_has_no_longer_cycles() -> None:
    b = asset("b", upstream=("c",), source=SourceRef("assets.yaml", 10, 5))
    c = asset("c", upstream=("b",))
    problem = only(lineage.lineage_has_no_cycles(ctx(c, b, asset("a", upstream=("b",)))))
    assert (problem.where, problem.message) == (
        SourceRef("assets.yaml", 10, 5),
        "lineage cycle: b -> c -> b",
    )
    dag = ctx(asset("a"), asset("b", upstream=("a",)), asset("c", upstream=("a", "b")))
    assert list(lineage.lineage_has_no_cycles(dag)) == []


# ---------------------------------------------------------------------- anti-patterns
def test_a_paged_asset_has_a_runbook() -> None:
    for kind in ("source", "table", "feature", "model"):
        problem = only(antipatterns.asset_has_runbook(ctx(), asset(kind=kind, runbook=None)))
        assert problem.message == (
            "asset 'orders' has no runbook: whoever is paged starts from nothing"
        )
    assert list(antipatterns.asset_has_runbook(ctx(), asset(kind="dashboard", runbook=None))) == []
    assert list(antipatterns.asset_has_runbook(ctx(), asset())) == []


def test_a_contracts_owner_does_not_consume_it() -> None:
    c = contract(consumer_teams=("ml", "de"))
    assert list(antipatterns.consumer_is_not_owner(ctx(), c, "ml")) == []
    problem = only(antipatterns.consumer_is_not_owner(ctx(), c, "de"))
    assert (problem.message, problem.code, problem.severity) == (
        "contract 'orders': owner 'de' is also listed as a consumer",
        "owner-consumes",
        Severity.WARNING,
    )


def test_late_data_alerts_have_a_channel() -> None:
    silent_owner = ctx(teams=[team("de", oncall_channel=None)])
    problem = only(antipatterns.owner_has_oncall_channel(silent_owner, contract()))
    assert problem.message == (
        "contract 'orders': owner team 'de' has no on-call channel, so late-data alerts have "
        "nowhere to go"
    )
    with_alert_channel = contract(alert_channel="#orders-alerts")
    assert list(antipatterns.owner_has_oncall_channel(silent_owner, with_alert_channel)) == []
    assert list(antipatterns.owner_has_oncall_channel(ctx(), contract())) == []
    unknown_owner = contract(owner_team="nobody")  # references say so; not this rule
    assert list(antipatterns.owner_has_oncall_channel(ctx(), unknown_owner)) == []


def test_an_owner_team_has_a_rotation() -> None:
    problem = only(antipatterns.owner_has_rotation(ctx(teams=[team(rotation=None)]), contract()))
    assert (problem.message, problem.code) == (
        "contract 'orders': owner team 'de' has no on-call rotation; alerts will tag the whole "
        "team",
        "no-rotation",
    )
    assert list(antipatterns.owner_has_rotation(ctx(), contract())) == []


def test_a_contract_has_an_sla_unless_dbt_opted_out() -> None:
    bare = contract(sla=None)
    problem = only(antipatterns.contract_has_sla(ctx(), bare))
    assert (problem.message, problem.code) == (
        "contract 'orders' has no sla or freshness: nothing to check",
        "no-sla",
    )
    assert list(antipatterns.contract_has_sla(ctx(), contract(sla=None, format="dbt"))) == []
    fresh = contract(sla=None, freshness=AgeSla(timedelta(hours=1), None))
    assert list(antipatterns.contract_has_sla(ctx(), fresh)) == []


def test_a_contract_with_an_sla_has_a_probe() -> None:
    for unprobed in (
        contract(probe=None),
        contract(sla=None, freshness=AgeSla(None, None), probe=None),
    ):
        problem = only(antipatterns.contract_has_probe(ctx(), unprobed))
        assert (problem.message, problem.code) == (
            "contract 'orders' has an SLA but no probe: demarc cannot check it",
            "no-probe",
        )
    assert list(antipatterns.contract_has_probe(ctx(), contract(probe=None, format="dbt"))) == []
    assert list(antipatterns.contract_has_probe(ctx(), contract(sla=None, probe=None))) == []


def test_a_contract_has_consumers() -> None:
    problem = only(antipatterns.contract_has_consumers(ctx(), contract(consumer_teams=())))
    assert problem.message == "contract 'orders' has no consumer teams: who is it for?"
    assert list(antipatterns.contract_has_consumers(ctx(), contract())) == []


def test_the_oncall_contact_is_where_alerts_go() -> None:
    stale = contract(contacts=(("oncall", "#old-oncall"),))
    problem = only(antipatterns.oncall_contact_matches_channel(ctx(), stale))
    assert (problem.message, problem.code) == (
        "contract 'orders': contacts.oncall #old-oncall differs from the channel alerts go to "
        "(#de-oncall)",
        "oncall-mismatch",
    )
    overridden = contract(contacts=(("oncall", "#de-oncall"),), alert_channel="#orders")
    assert only(antipatterns.oncall_contact_matches_channel(ctx(), overridden)).message.endswith(
        "(#orders)"
    )
    for fine in (
        contract(contacts=(("oncall", "#de-oncall"),)),
        contract(contacts=(("oncall", "ana@example.com"),)),  # a person, not a channel
        contract(),
    ):
        assert list(antipatterns.oncall_contact_matches_channel(ctx(), fine)) == []


def test_a_team_has_members_and_a_user_group() -> None:
    bare = team(members=(), usergroup=None)
    members = only(antipatterns.team_has_members(ctx(), bare))
    assert (members.where, members.message, members.code) == (
        SourceRef("teams.yaml", 1, 3),
        "team 'de' has no members",
        "no-members",
    )
    group = only(antipatterns.team_has_usergroup(ctx(), bare))
    assert (group.message, group.code) == (
        "team 'de' has no Slack user group: it cannot be mentioned",
        "no-usergroup",
    )
    assert list(antipatterns.team_has_members(ctx(), team())) == []
    assert list(antipatterns.team_has_usergroup(ctx(), team())) == []


# ---------------------------------------------------------------------- change notices
def notice(notice_id: str = "n1", line: int = 1, **changes: Any) -> ChangeNotice:
    fields: dict[str, Any] = {
        "contract": "orders",
        "announced": date(2026, 11, 1),
        "change": "drop column x",
        "source": SourceRef("notices.yaml", line, 5),
    }
    return ChangeNotice(notice_id, **(fields | changes))


POLICY = ChangePolicy(notice_days=30, channel="#data-changes")


def test_a_notice_id_is_unique() -> None:
    first, second = notice("n1", 1), notice("n1", 4, change="rename y")
    context = ctx(contracts=[contract()], change_notices=(first, second, notice("n2", 7)))
    assert list(notices.notice_id_is_unique(context, first)) == []
    problem = only(notices.notice_id_is_unique(context, second))
    assert problem.message == (
        "duplicate change notice 'n1' (first defined at notices.yaml:1:5); give each an id:"
    )
    assert (problem.where, problem.code, problem.severity) == (
        SourceRef("notices.yaml", 4, 5),
        "duplicate-id",
        Severity.ERROR,
    )


def test_a_notice_names_a_contract() -> None:
    lost = notice(contract="ordrs")
    context = ctx(contracts=[contract(change_policy=POLICY)], change_notices=(lost,))
    problem = only(notices.notice_contract_exists(context, lost))
    assert problem.message == (
        "change notice 'n1': 'ordrs' is not a contract; did you mean 'orders'? (remove a notice "
        "in the change that removes its contract)"
    )
    assert (problem.code, problem.refs) == ("unknown-contract", ("ordrs",))
    # what needs the contract says nothing more
    assert list(notices.notice_period_is_kept(context, lost)) == []
    assert list(notices.notice_has_channel(context, lost)) == []


def test_a_notice_keeps_the_contracts_notice_period() -> None:
    context = ctx(contracts=[contract(change_policy=POLICY)])
    short = notice(effective=date(2026, 11, 30))
    problem = only(notices.notice_period_is_kept(context, short))
    assert problem.message == (
        "change notice 'n1': effective 2026-11-30 is only 29 day(s) after announced 2026-11-01; "
        "contract 'orders' promises 30 days' notice"
    )
    assert (problem.code, problem.severity) == ("notice-too-short", Severity.ERROR)
    assert list(notices.notice_period_is_kept(context, notice(effective=date(2026, 12, 1)))) == []
    assert list(notices.notice_period_is_kept(context, notice())) == []  # effective: by default


def test_a_notice_reaches_a_change_channel() -> None:
    context = ctx(contracts=[contract()])
    problem = only(notices.notice_has_channel(context, notice()))
    assert problem.message == (
        "change notice 'n1': contract 'orders' has no change channel, so nobody is told "
        "(set change_policy.channel)"
    )
    assert (problem.code, problem.severity) == ("no-change-channel", Severity.WARNING)
    with_channel = ctx(contracts=[contract(change_policy=POLICY)])
    assert list(notices.notice_has_channel(with_channel, notice())) == []


# ---------------------------------------------------------------------- the composition
def test_a_clean_registry_has_no_problems() -> None:
    clean = registry(
        [asset("orders"), asset("features", kind="feature", owner="ml", upstream=("orders",))],
        activities=[activity((("de", frozenset({R, A})), ("mlops", frozenset({C}))))],
        contracts=[contract()],
        kind_activities={"table": "ingest"},
    )
    assert validate(clean) == []


def test_validate_runs_the_rules_in_their_documented_order() -> None:
    """Steps in order, and each entity's problems together in the order of its rule table."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    messy = registry(
        [
            asset(
                "orders",
                aliases=("sales",),
                owner="qa",
                upstream=("orders", "nowhere"),
                runbook=None,
            ),
            asset("sales", runbook=None, upstream=("x",)),
            asset("x", upstream=("sales",)),
        ],
        teams=[team("de", members=()), team("ml", usergroup=None)],
        activities=[activity((("de", frozenset({C})),))],
        contracts=[
            contract(consumer_teams=("de", "zz"), probe=None, contacts=(("oncall", "#old"),))
        ],
        kind_activities={"table": "nothing"},
        silences=(Silence("gone", at, at),),
        change_notices=(notice(contract="gone"),),
    )
    assert codes(validate(messy)) == [
        "duplicate-id",  # aliases
        "no-accountable",  # the activity: one accountable, then responsible
        "no-responsible",
        "unknown-activity",  # raci kinds
        "unknown-team",  # asset orders: owner, then each upstream item, then ownership
        "lineage-cycle",
        "unknown-asset",
        "no-owner",
        "no-runbook",
        "no-runbook",  # asset sales
        "lineage-cycle",  # sales -> x -> sales
        "owner-consumes",  # the contract: each consumer in turn, then the anti-patterns
        "unknown-team",
        "no-probe",
        "oncall-mismatch",
        "unknown-asset",  # the silence
        "unknown-contract",  # the notice
        "no-members",  # teams
        "no-usergroup",
    ]
