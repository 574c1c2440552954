"""Match the team names foreign formats use with the registry's teams, and lenient mode.

ODCS names a team (`team.name`) or only people; dbt's `meta.owner` is often a team name or an
email. A reference resolves to a team by id, then by display name (case and punctuation
ignored, "Data Engineering" = `data_engineering`), then, for people, by membership. What does
not resolve is the same `unknown-team` error as in demarc's own files, at the line that names
it; in lenient mode the contract is skipped with a warning instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from ownership.errors import Problem, Severity
from ownership.formats.common import SCHEMA_CODE, Imported, Membership
from ownership.model import Asset, Contract, Team
from ownership.read.fields import did_you_mean

LENIENT_PREFIX = "ignored (lenient mode): "
_HINTS = {
    "odcs": "name the owning team in team.name (or customProperties demarc.owner_team)",
    "dbt": "set meta.owner on the source or the table",
}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def find_team(ref: str, teams: dict[str, Team]) -> Team | None:
    """A team by id, or by id or name with case and punctuation ignored."""
    if ref in teams:
        return teams[ref]
    key = _norm(ref)
    matches = [t for t in teams.values() if key and key in (_norm(t.id), _norm(t.name))]
    return matches[0] if len(matches) == 1 else None


def teams_of_person(ref: str, teams: dict[str, Team]) -> list[Team]:
    """Teams with a member known as `ref` (Slack id, email, name, or an email's user part)."""
    found = []
    for team in teams.values():
        for person in team.members:
            local = (person.email or "").split("@")[0].lower()
            if person.refers_to(ref) or ("@" not in ref and local and local == ref.lower()):
                found.append(team)
                break
    return found


def merge_memberships(
    teams: dict[str, Team], memberships: Iterable[Membership]
) -> tuple[dict[str, Team], list[Problem]]:
    problems = []
    out = dict(teams)
    for m in memberships:
        team = find_team(m.team, out)
        if team is None:
            problems.append(
                Problem(
                    m.where,
                    f"member of unknown team '{m.team}'{did_you_mean(m.team, out)}",
                    Severity.WARNING,
                    "unknown-team",
                    refs=(m.team,),
                )
            )
            continue
        key = m.person.email or m.person.slack_id or m.person.name
        if not any(p.refers_to(key) for p in team.members):
            out[team.id] = replace(team, members=(*team.members, m.person))
    return out, problems


def resolve_imported(
    items: Iterable[Imported],
    teams: dict[str, Team],
    *,
    lenient: bool,
    unowned: list[Asset] | None = None,
) -> tuple[list[Contract], list[Problem]]:
    """Contracts with their team names resolved. An ODCS team the registry has no match for
    (not even a "did you mean") that lists current members becomes a team, added to `teams`;
    a contract that names no team nor any person is a warning, and its asset (with its other
    tables as aliases) goes to `unowned` so `/whoowns` still finds it."""
    contracts, problems = [], []

    def report(where: Problem) -> None:
        if lenient:
            where = Problem(
                where.where,
                f"{LENIENT_PREFIX}contract skipped: {where.message}",
                Severity.WARNING,
                where.code,
                refs=where.refs,
            )
        problems.append(where)

    for item in items:
        contract = item.contract
        what = f"contract '{contract.id}'"
        owner: Team | None = None
        if item.teamless and not contract.owner_team and unowned is not None:
            problems.append(
                Problem(
                    item.owner_at,
                    f"{what} names no team: its tables are listed without an owner "
                    f"and nothing is checked; {_HINTS['odcs']}",
                    Severity.WARNING,
                    "no-team",
                )
            )
            unowned.append(
                Asset(
                    id=contract.asset,
                    kind=contract.asset_kind or "source",
                    description=contract.description,
                    aliases=item.aliases,
                    source=contract.source,
                )
            )
            continue
        if contract.owner_team:
            owner = find_team(contract.owner_team, teams)
            holders = [] if owner else teams_of_person(contract.owner_team, teams)
            if owner is None and len(holders) == 1:
                owner = holders[0]
            if owner is None and _adoptable(item, teams):
                assert item.inline_team is not None
                owner = teams.setdefault(item.inline_team.id, item.inline_team)
            if owner is None:
                report(
                    Problem(
                        item.owner_at,
                        f"{what} owner_team '{contract.owner_team}' is not a team"
                        f"{did_you_mean(contract.owner_team, teams)}",
                        code="unknown-team",
                        refs=(contract.owner_team,),
                    )
                )
                continue
        else:
            for person in item.owner_members:
                found = teams_of_person(person, teams)
                if len(found) == 1:
                    owner = found[0]
                    break
            if owner is None:
                people = ", ".join(item.owner_members)
                why = f"; none of its current members ({people}) is in exactly one team"
                report(
                    Problem(
                        item.owner_at,
                        f"{what} has no owner team: {_HINTS.get(contract.format, 'name one')}"
                        f"{why if people else ''}",
                        code="unknown-team",
                        refs=item.owner_members,
                    )
                )
                continue
        consumers = []
        places = dict(item.consumer_at)
        at = {**contract.at, "owner_team": item.owner_at, "consumer_teams": item.consumers_at}
        for ref in contract.consumer_teams:
            where = places.get(ref, item.consumers_at)
            team = find_team(ref, teams)
            if team is not None:
                if team.id not in consumers:  # "MLOps Churn" and mlops_churn are one team
                    consumers.append(team.id)
                    at[f"consumer_teams[{team.id}]"] = where
                continue
            message = f"{what} consumer team '{ref}' is not a team{did_you_mean(ref, teams)}"
            if lenient:
                problems.append(
                    Problem(
                        where,
                        LENIENT_PREFIX + message,
                        Severity.WARNING,
                        "unknown-team",
                        refs=(ref,),
                    )
                )
            else:
                problems.append(Problem(where, message, code="unknown-team", refs=(ref,)))
        contracts.append(
            replace(
                contract,
                owner_team=owner.id,
                consumer_teams=tuple(consumers),
                at=at,
                aliases=tuple(a for a in item.aliases if a != contract.asset),
            )
        )
    return contracts, problems


def _adoptable(item: Imported, teams: dict[str, Team]) -> bool:
    """The document's own team stands in when it has current members and no registry team
    is a likely misspelling of its name."""
    team = item.inline_team
    return (
        team is not None
        and bool(team.members)
        and team.id not in teams
        and not did_you_mean(item.contract.owner_team, teams)
    )


def relax(problems: Iterable[Problem]) -> list[Problem]:
    """Lenient mode: a document that breaks its format's schema loads, saying what was ignored."""
    return [
        replace(p, message=LENIENT_PREFIX + p.message, severity=Severity.WARNING)
        if p.code == SCHEMA_CODE and p.is_error
        else p
        for p in problems
    ]
