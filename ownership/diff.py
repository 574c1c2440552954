"""What changed between two versions of a contract, and whether each change breaks consumers.

A change is *breaking* when a consumer that relied on the old promise can be hurt: a column
removed, renamed or narrowed, a column that becomes required or optional, a looser SLA, a new
owner, a shorter notice period, a contract removed. Everything else (an optional column added, a
tighter SLA, a description) is non-breaking. docs/formats.md lists every kind with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from ownership.model import Column, Contract, Registry
from ownership.sla import describe_age_sla, describe_sla
from ownership.sla_compare import compare_deadlines
from ownership.timeparse import format_duration
from ownership.types import compare

_Promise = TypeVar("_Promise")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. `subject` is a column name or one of: contract, owner, consumers, sla,
    freshness, change_policy, description, probe, alert_channel, contacts (a notice's scope
    names these)."""

    contract: str
    kind: str
    subject: str
    breaking: bool
    reason: str
    old: str | None = None
    new: str | None = None


def diff_registries(old: Registry, new: Registry) -> list[Change]:
    out: list[Change] = []
    for cid in sorted(set(old.contracts) | set(new.contracts)):
        out.extend(diff_contract(old.contracts.get(cid), new.contracts.get(cid)))
    return out


def diff_contract(old: Contract | None, new: Contract | None) -> list[Change]:
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        return [Change(new.id, "contract_added", "contract", False, "a new contract")]
    if new is None:
        return [
            Change(
                old.id,
                "contract_removed",
                "contract",
                True,
                f"the contract is removed: {_teams(old)} lose every promise it made",
            )
        ]
    return [
        *_owner(old, new),
        *_consumers(old, new),
        *_columns(old, new),
        *_sla(old, new),
        *_freshness(old, new),
        *_policy(old, new),
        *_other(old, new),
    ]


def _teams(c: Contract) -> str:
    return ", ".join(c.consumer_teams) or "its consumers"


def _owner(old: Contract, new: Contract) -> Iterator[Change]:
    if old.owner_team != new.owner_team:
        yield Change(
            new.id,
            "owner_changed",
            "owner",
            True,
            f"the owner changes from {old.owner_team} to {new.owner_team}: consumers escalate "
            "to someone else",
            old.owner_team,
            new.owner_team,
        )


def _consumers(old: Contract, new: Contract) -> Iterator[Change]:
    for team in new.consumer_teams:
        if team not in old.consumer_teams:
            yield Change(
                new.id, "consumer_added", "consumers", False, f"{team} now consumes it", None, team
            )
    for team in old.consumer_teams:
        if team not in new.consumer_teams:
            yield Change(
                new.id,
                "consumer_removed",
                "consumers",
                False,
                f"{team} is no longer a consumer (the data does not change; {team} stops "
                "getting its alerts and change notices)",
                team,
                None,
            )


# ---------------------------------------------------------------------- columns
def _columns(old: Contract, new: Contract) -> Iterator[Change]:
    before = {c.name: c for c in old.schema}
    after = {c.name: c for c in new.schema}
    removed = [c for name, c in before.items() if name not in after]
    added = [c for name, c in after.items() if name not in before]
    renamed: dict[str, Column] = {}
    if len(removed) == 1 and len(added) == 1 and _same_type(removed[0], added[0]):
        renamed[removed[0].name] = added[0]
    for col in removed:
        if col.name in renamed:
            to = renamed[col.name]
            yield Change(
                new.id,
                "column_renamed",
                col.name,
                True,
                f"column {col.name} is renamed to {to.name}: queries naming {col.name} fail",
                col.name,
                to.name,
            )
            continue
        yield Change(
            new.id,
            "column_removed",
            col.name,
            True,
            f"column {col.name} is removed: queries and features reading it break",
            f"{col.name} {col.type}".strip(),
            None,
        )
    renamed_to = {c.name for c in renamed.values()}
    for col in added:
        if col.name in renamed_to:
            continue
        if col.required:
            yield Change(
                new.id,
                "column_added_required",
                col.name,
                True,
                f"required column {col.name} is added: rows and loads without it now break "
                "the contract",
                None,
                f"{col.name} {col.type}".strip(),
            )
        else:
            yield Change(
                new.id,
                "column_added_optional",
                col.name,
                False,
                f"optional column {col.name} is added",
                None,
                col.name,
            )
    for name, was in before.items():
        if name in after:
            yield from _column(new.id, was, after[name])


def _same_type(a: Column, b: Column) -> bool:
    return compare(a.type, b.type) == "same" and a.required == b.required


def _column(cid: str, was: Column, now: Column) -> Iterator[Change]:
    name = was.name
    if was.type != now.type:
        how = compare(was.type, now.type) if was.type and now.type else "changed"
        if how == "narrower":
            yield Change(
                cid,
                "column_type_narrowed",
                name,
                True,
                f"column {name} narrows from {was.type} to {now.type}: existing values may not fit",
                was.type,
                now.type,
            )
        elif how == "changed":
            yield Change(
                cid,
                "column_type_changed",
                name,
                True,
                f"column {name} changes type from {was.type or '(none)'} to "
                f"{now.type or '(none)'}: readers parse it differently",
                was.type,
                now.type,
            )
        elif how == "same":
            yield Change(
                cid,
                "column_type_respelled",
                name,
                False,
                f"column {name} is written {now.type} instead of {was.type}, the same type",
                was.type,
                now.type,
            )
        else:
            yield Change(
                cid,
                "column_type_widened",
                name,
                False,
                f"column {name} widens from {was.type} to {now.type}",
                was.type,
                now.type,
            )
    if not was.required and now.required:
        yield Change(
            cid,
            "column_required_added",
            name,
            True,
            f"column {name} becomes required: loads with empty values now break the contract",
            "optional",
            "required",
        )
    elif was.required and not now.required:
        yield Change(
            cid,
            "column_required_removed",
            name,
            True,
            f"column {name} becomes optional: consumers may now get nulls",
            "required",
            "optional",
        )
    if was.description != now.description:
        yield Change(
            cid, "column_description_changed", name, False, f"column {name}'s description changes"
        )


# ---------------------------------------------------------------------- SLAs
def _added_or_removed(
    contract_id: str,
    subject: str,
    old: _Promise | None,
    new: _Promise | None,
    describe: Callable[[_Promise], str],
    *,
    added: str,
    removed: str,
) -> Iterator[Change]:
    """A promise (`subject`) only one version makes: removing it breaks, adding it does not."""
    if new is not None:
        yield Change(contract_id, f"{subject}_added", subject, False, added, None, describe(new))
    elif old is not None:
        yield Change(contract_id, f"{subject}_removed", subject, True, removed, describe(old), None)


_SLA_CHANGES = {  # compare_deadlines verdict -> (kind, breaking, reason)
    "looser": ("sla_loosened", True, "the SLA loosens: {words}"),
    "mixed": ("sla_changed", True, "the SLA moves: {words}"),
    "tighter": ("sla_tightened", False, "the SLA tightens: {words}"),
    "same": ("sla_reworded", False, "the SLA is written differently with the same deadlines"),
}


def _sla(old: Contract, new: Contract) -> Iterator[Change]:
    a, b = old.sla, new.sla
    if a == b:
        return
    if a is None or b is None:
        yield from _added_or_removed(
            new.id,
            "sla",
            a,
            b,
            describe_sla,
            added="a delivery SLA is added",
            removed="the delivery SLA is removed: nothing is promised about when data arrives",
        )
        return
    how, words = compare_deadlines(a, b)
    kind, breaking, reason = _SLA_CHANGES[how]
    yield Change(
        new.id, kind, "sla", breaking, reason.format(words=words), describe_sla(a), describe_sla(b)
    )


def _freshness(old: Contract, new: Contract) -> Iterator[Change]:
    a, b = old.freshness, new.freshness
    if a == b:
        return
    if a is None or b is None:
        yield from _added_or_removed(
            new.id,
            "freshness",
            a,
            b,
            describe_age_sla,
            added="freshness limits are added",
            removed="the freshness limits are removed",
        )
        return
    pairs = (
        ("warn_after", a.warn_after, b.warn_after),
        ("error_after", a.error_after, b.error_after),
    )
    looser = [
        f"{word} {format_duration(x)} → {format_duration(y) if y else 'none'}"
        for word, x, y in pairs
        if x is not None and (y is None or y > x)
    ]
    if looser:
        yield Change(
            new.id,
            "freshness_loosened",
            "freshness",
            True,
            f"the freshness SLA loosens ({', '.join(looser)}): older data counts as fresh",
            describe_age_sla(a),
            describe_age_sla(b),
        )
    else:
        yield Change(
            new.id,
            "freshness_tightened",
            "freshness",
            False,
            "the freshness SLA tightens",
            describe_age_sla(a),
            describe_age_sla(b),
        )


# ---------------------------------------------------------------------- the rest
def _policy(old: Contract, new: Contract) -> Iterator[Change]:
    a, b = old.change_policy.notice_days, new.change_policy.notice_days
    if a and (b is None or b < a):
        yield Change(
            new.id,
            "notice_shortened",
            "change_policy",
            True,
            f"the notice period shrinks from {a} to {b or 0} days",
            f"{a} days",
            f"{b or 0} days",
        )
    elif old.change_policy != new.change_policy:
        yield Change(
            new.id,
            "change_policy_changed",
            "change_policy",
            False,
            "the change policy is reworded or its channel moves",
        )


def _other(old: Contract, new: Contract) -> Iterator[Change]:
    for subject, x, y in (
        ("description", old.description, new.description),
        ("probe", old.probe, new.probe),
        ("alert_channel", old.alert_channel, new.alert_channel),
        ("contacts", old.contacts, new.contacts),
    ):
        if x != y:
            yield Change(
                new.id,
                f"{subject}_changed",
                subject,
                False,
                f"the {subject.replace('_', ' ')} changes",
            )
