"""The ownership registry as plain, immutable data: teams, assets, RACI, contracts.

Everything here is built by `ownership.loader` (or a format adapter) and only read afterwards.
A contract's terms (SLAs, calendar, columns, probes …) are in `ownership.contract_terms`,
imported from here as well.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

# A contract's terms, imported from here as the rest of the model is:
from ownership.contract_terms import AgeSla as AgeSla
from ownership.contract_terms import Calendar as Calendar
from ownership.contract_terms import ChangePolicy as ChangePolicy
from ownership.contract_terms import Column as Column
from ownership.contract_terms import DeadlineSla as DeadlineSla
from ownership.contract_terms import EventSla as EventSla
from ownership.contract_terms import Frequency as Frequency
from ownership.contract_terms import HttpProbe as HttpProbe
from ownership.contract_terms import Probe as Probe
from ownership.contract_terms import SqlProbe as SqlProbe
from ownership.contract_terms import Volume as Volume
from ownership.pacing import paced


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where something was declared, for error messages and "edit this file" hints."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


NOWHERE = SourceRef("<memory>")


class Role(enum.Enum):
    RESPONSIBLE = "R"
    ACCOUNTABLE = "A"
    CONSULTED = "C"
    INFORMED = "I"

    @property
    def word(self) -> str:
        return self.name.capitalize()


ROLE_ORDER = (Role.RESPONSIBLE, Role.ACCOUNTABLE, Role.CONSULTED, Role.INFORMED)


# ---------------------------------------------------------------------- people and teams
@dataclass(frozen=True, slots=True)
class Person:
    name: str
    slack_id: str | None = None
    email: str | None = None

    @property
    def key(self) -> str:
        """The identifier rotations and overrides use to refer to this person."""
        return self.slack_id or self.email or self.name

    def refers_to(self, ref: str) -> bool:
        ref = ref.strip().lower()
        return ref in {
            (self.slack_id or "").lower(),
            (self.email or "").lower(),
            self.name.lower(),
        }


@dataclass(frozen=True, slots=True)
class Override:
    """Someone covers the rotation from `start` (inclusive) to `end` (exclusive)."""

    person: Person
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Rotation:
    """A follow-the-calendar rotation: `members[i]` is on call for the i-th period after `start`.

    Periods are whole local days so that DST changes neither shorten nor lengthen a shift;
    a shift begins at `handoff` local time.
    """

    members: tuple[Person, ...]
    period_days: int
    handoff: time
    timezone: str
    start: date
    overrides: tuple[Override, ...] = ()
    covers: Calendar | None = None  # the days and hours the rotation is on call (None: always)


@dataclass(frozen=True, slots=True)
class UserGroup:
    id: str
    handle: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleSource:
    """An on-call schedule kept elsewhere: an iCalendar feed, PagerDuty or Opsgenie.

    `token` is an `env:VARIABLE` reference (no secret in YAML); `url` is the feed, or the
    API's base URL (defaulted per kind).
    """

    kind: Literal["ical", "pagerduty", "opsgenie"]
    url: str
    schedule_id: str | None = None
    token: str | None = None
    source: SourceRef = NOWHERE


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    discipline: str | None = None
    usergroup: UserGroup | None = None
    oncall_channel: str | None = None
    incident_channel: str | None = None
    members: tuple[Person, ...] = ()
    rotation: Rotation | None = None
    source: SourceRef = NOWHERE
    schedule: ScheduleSource | None = None  # on-call read from elsewhere (issue 15)
    # The user group that holds whoever is on call (demarc keeps it in sync; teams may share)
    oncall_usergroup: UserGroup | None = None
    timezone: str | None = None  # `timezone:` on the team: for times from a schedule elsewhere
    git_handle: str | None = None  # "@org/team" on the Git host: CODEOWNERS (issue 17)

    def local_timezone(self) -> str:
        """Where the team's times are shown: its rotation's timezone, else its own, else UTC."""
        return self.rotation.timezone if self.rotation else self.timezone or "UTC"


# ---------------------------------------------------------------------- assets and RACI
AssetKind = str
KNOWN_ASSET_KINDS = (
    "source",
    "table",
    "feature",
    "model",
    "pipeline",
    "feature_store",
    "dashboard",
    "service",
    "dataset",
)

RoleSet = frozenset[Role]
# Keys are team ids, or a discipline name that expands to the teams of that discipline.
RoleMap = tuple[tuple[str, RoleSet], ...]


@dataclass(frozen=True, slots=True)
class Activity:
    """One row of the RACI matrix: e.g. "Feature engineering | C | R/A | C"."""

    id: str
    name: str
    roles: RoleMap
    aliases: tuple[str, ...] = ()
    source: SourceRef = NOWHERE
    at: dict[str, SourceRef] = field(default_factory=dict, compare=False)

    def where(self, key: str) -> SourceRef:
        """Where field `key` was written (e.g. "roles.mlops"), else the activity itself."""
        return self.at.get(key, self.source)


@dataclass(frozen=True, slots=True)
class Asset:
    id: str
    kind: AssetKind
    description: str = ""
    aliases: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    runbook: str | None = None
    owner: str | None = None
    activity: str | None = None
    raci: RoleMap = ()
    incident_channel: str | None = None
    probe: Probe | None = None
    source: SourceRef = NOWHERE
    at: dict[str, SourceRef] = field(default_factory=dict, compare=False)

    def where(self, key: str) -> SourceRef:
        """Where field `key` was written (e.g. "owner", "upstream[x]"), else the asset."""
        return self.at.get(key, self.source)


# ---------------------------------------------------------------------- contracts
@dataclass(frozen=True, slots=True)
class Contract:
    """The internal contract model that demarc's own YAML, ODCS and dbt sources map onto."""

    id: str
    asset: str
    owner_team: str
    consumer_teams: tuple[str, ...] = ()
    sla: DeadlineSla | None = None
    freshness: AgeSla | None = None
    schema: tuple[Column, ...] = ()
    change_policy: ChangePolicy = ChangePolicy()  # noqa: RUF009 - frozen: safe to share
    contacts: tuple[tuple[str, str], ...] = ()
    probe: Probe | None = None
    alert_channel: str | None = None
    source: SourceRef = NOWHERE
    format: str = "demarc"
    description: str = ""
    asset_kind: str | None = None
    at: dict[str, SourceRef] = field(default_factory=dict, compare=False)
    quality: tuple[QualityRule, ...] = ()
    volume: Volume | None = None
    aliases: tuple[str, ...] = ()  # the asset's other names when the contract declares it
    after: EventSla | None = None  # "within 2 hours after X lands" instead of a clock time

    def where(self, key: str) -> SourceRef:
        """Where field `key` was written (e.g. "owner_team"), else the contract."""
        return self.at.get(key, self.source)


@dataclass(frozen=True, slots=True)
class QualityRule:
    """One data quality check a contract declares (docs/quality.md): an ODCS `quality` entry,
    or one that its schema implies (`ownership.quality.checks`).

    `metric` is nullValues, missingValues, duplicateValues, rowCount, invalidValues or sql;
    `bound` is an ODCS comparison (`mustBe`, `mustBeBetween` …) and its operands; `unit` is
    rows or percent (of the period's rows)."""

    id: str
    metric: str
    column: str | None = None
    bound: tuple[str, tuple[float, ...]] = ("mustBe", (0.0,))
    unit: str = "rows"
    query: str | None = None
    valid_values: tuple[str, ...] = ()
    missing_values: tuple[str | None, ...] = (None,)
    pattern: str | None = None
    description: str = ""
    source: SourceRef = NOWHERE
    declared_type: str | None = None  # a `type` check: the contract's type of the column
    window: str = "all"  # a sql rule: "period" makes ${object} the period's rows only


# ---------------------------------------------------------------------- change notices
@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """A breaking change announced ahead of time (registry section `change_notices:`).

    It takes effect on `effective`, or `announced` + the contract's notice_days when not given;
    `scope` limits it to some columns or aspects ("sla", "owner" ...); empty means all of them.
    """

    id: str
    contract: str
    announced: date
    change: str
    effective: date | None = None
    scope: tuple[str, ...] = ()
    source: SourceRef = NOWHERE


# ---------------------------------------------------------------------- silences
@dataclass(frozen=True, slots=True)
class Silence:
    asset: str
    start: datetime
    end: datetime
    reason: str = ""
    source: SourceRef = NOWHERE


# ---------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Registry:
    teams: dict[str, Team] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    kind_activities: dict[str, str] = field(default_factory=dict)
    kind_sources: dict[str, SourceRef] = field(default_factory=dict, compare=False)
    contracts: dict[str, Contract] = field(default_factory=dict)
    silences: tuple[Silence, ...] = ()
    admins: tuple[str, ...] = ()
    change_notices: tuple[ChangeNotice, ...] = ()
    _by_asset: dict[str, Contract] = field(init=False, repr=False, compare=False)
    _downstream: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _disciplines: dict[str, tuple[Team, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_asset: dict[str, Contract] = {}
        for contract in paced(self.contracts.values(), 500):
            by_asset.setdefault(contract.asset, contract)
        object.__setattr__(self, "_by_asset", by_asset)
        disciplines: dict[str, list[Team]] = {}
        for team in self.teams.values():
            if team.discipline is not None:
                disciplines.setdefault(team.discipline, []).append(team)
        object.__setattr__(self, "_disciplines", {k: tuple(v) for k, v in disciplines.items()})

    def contract_for(self, asset_id: str) -> Contract | None:
        return self._by_asset.get(asset_id)

    def downstream_of(self, asset_id: str) -> tuple[str, ...]:
        """Assets that list `asset_id` as upstream (direct dependants only)."""
        return self.downstream_index().get(asset_id, ())

    def downstream_index(self) -> dict[str, tuple[str, ...]]:
        """Every asset's direct dependants, built on first use unless the loader handed it
        one (`use_downstream_index`: a reload whose lineage did not change keeps the last)."""
        index: dict[str, tuple[str, ...]] | None = self.__dict__.get("_downstream")
        if index is None:
            index = build_downstream_index(self.assets)
            object.__setattr__(self, "_downstream", index)
        return index

    def use_downstream_index(self, index: dict[str, tuple[str, ...]]) -> None:
        """Take `index` as `downstream_index()` (it must be this registry's lineage's)."""
        object.__setattr__(self, "_downstream", index)

    def teams_in(self, discipline: str) -> tuple[Team, ...]:
        return self._disciplines.get(discipline, ())


def build_downstream_index(assets: dict[str, Asset]) -> dict[str, tuple[str, ...]]:
    """upstream id -> the ids of the assets listing it, in registry order."""
    downstream: dict[str, list[str]] = {}
    for asset in paced(assets.values(), 500):
        for up in asset.upstream:
            downstream.setdefault(up, []).append(asset.id)
    index: dict[str, Any] = downstream  # each list becomes a tuple in place: freed one
    for k, v in paced(list(downstream.items()), 500):  # by one, not 10k at the end
        index[k] = tuple(v)
    return index
