"""`teams:` entries: identity, Slack handles, members and the on-call rotation."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

from ownership.errors import InvalidValue
from ownership.model import (
    Override,
    Person,
    Rotation,
    ScheduleSource,
    SourceRef,
    Team,
    UserGroup,
)
from ownership.read.calendars import read_covers
from ownership.read.fields import (
    EMAIL,
    SLACK_CHANNEL,
    SLACK_USER,
    SLACK_USERGROUP,
    Collector,
    parse_date,
    parse_instant,
)
from ownership.timeparse import parse_clock, parse_duration, zone_key
from ownership.yamlsafe import YMap

TEAM_FIELDS = (
    "id",
    "name",
    "discipline",
    "slack",
    "members",
    "oncall",
    "description",
    "oncall_schedule",
    "timezone",
    "git_handle",
)
GIT_HANDLE = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$")
SCHEDULE_FIELDS = ("kind", "url", "id", "token")
SCHEDULE_KINDS = {
    "ical": None,
    "pagerduty": "https://api.pagerduty.com",
    "opsgenie": "https://api.opsgenie.com",
}
SLACK_FIELDS = ("usergroup", "oncall_channel", "incident_channel", "oncall_usergroup")
USERGROUP_FIELDS = ("id", "handle")
MEMBER_FIELDS = ("name", "slack", "email")
ONCALL_FIELDS = ("members", "period", "handoff", "timezone", "start", "overrides", "covers")
OVERRIDE_FIELDS = ("member", "from", "to")
# `person` and `until` are the same as `member` and `to` (either spelling; not both)
OVERRIDE_ALIASES = {"person": "member", "until": "to"}


def read_team(c: Collector, raw: Any, where: SourceRef) -> Team | None:
    m = c.mapping(raw, where, "team", TEAM_FIELDS, required=("id",))
    if m is None:
        return None
    team_id = c.identifier(m, "id", "team")
    if team_id is None:
        return None
    what = f"team '{team_id}'"
    usergroup, oncall_channel, incident_channel = None, None, None
    oncall_usergroup = None
    slack = m.get("slack")
    if slack is not None:
        s = c.mapping(slack, m.value_at("slack"), f"{what} slack", SLACK_FIELDS)
        if s is not None:
            usergroup = _usergroup(c, s, what)
            oncall_usergroup = _usergroup(c, s, what, "oncall_usergroup")
            if usergroup and oncall_usergroup and usergroup.id == oncall_usergroup.id:
                c.error(
                    s.value_at("oncall_usergroup"),
                    f"{what} oncall_usergroup is its usergroup: demarc replaces an on-call"
                    " group's members with the on-call, so give it a group of its own",
                    "bad-value",
                )
                oncall_usergroup = None
            oncall_channel = _channel(c, s, "oncall_channel", what)
            incident_channel = _channel(c, s, "incident_channel", what)
    members = tuple(
        p
        for item, at in c.items(m.get("members"), m.value_at("members"), f"{what} members")
        if (p := read_person(c, item, at, what)) is not None
    )
    rotation = None
    if m.get("oncall") is not None:
        rotation = _rotation(c, m["oncall"], m.value_at("oncall"), what, members)
    return Team(
        id=team_id,
        name=c.text(m, "name", what) or team_id.replace("_", " ").title(),
        discipline=c.identifier(m, "discipline", what, required=False),
        usergroup=usergroup,
        oncall_channel=oncall_channel,
        incident_channel=incident_channel,
        members=members,
        rotation=rotation,
        source=m.where,
        oncall_usergroup=oncall_usergroup,
        schedule=_schedule(c, m, what) if m.get("oncall_schedule") is not None else None,
        timezone=c.parsed(m, "timezone", what, zone_key),
        git_handle=_git_handle(c, m, what),
    )


def _git_handle(c: Collector, m: YMap, what: str) -> str | None:
    """The team on the Git host ("@org/team" or "@user"), which CODEOWNERS names."""
    handle = c.text(m, "git_handle", what)
    if handle is not None and not GIT_HANDLE.match(handle):
        c.error(
            m.value_at("git_handle"),
            f"{what} git_handle must be a Git host handle such as @acme/data-eng, not "
            f"{handle[:60]!r}",
            "bad-value",
        )
        return None
    return handle


def _usergroup(c: Collector, s: YMap, what: str, key: str = "usergroup") -> UserGroup | None:
    raw = s.get(key)
    if raw is None:
        return None
    g = c.mapping(raw, s.value_at(key), f"{what} {key}", USERGROUP_FIELDS, ("id",))
    if g is None or g.get("id") is None:
        return None
    group_id = c.pattern(g["id"], g.value_at("id"), SLACK_USERGROUP, "usergroup id", "S0123ABCD")
    handle = c.text(g, "handle", f"{what} usergroup")
    if group_id is None:
        return None
    return UserGroup(group_id, handle.lstrip("@") if handle else None)


def _schedule(c: Collector, m: YMap, what: str) -> ScheduleSource | None:
    """`oncall_schedule: {kind: pagerduty, id: PABC123, token: env:PAGERDUTY_TOKEN}`."""
    ctx = f"{what} oncall_schedule"
    s = c.mapping(
        m["oncall_schedule"], m.value_at("oncall_schedule"), ctx, SCHEDULE_FIELDS, ("kind",)
    )
    if s is None or s.get("kind") is None:
        return None
    kind = s["kind"]
    if kind not in SCHEDULE_KINDS:
        c.error(
            s.value_at("kind"), f"{ctx} kind must be one of ical, pagerduty, opsgenie", "bad-value"
        )
        return None
    url = c.text(s, "url", ctx) or SCHEDULE_KINDS[kind]
    if url is None:
        c.error(
            s.where, f"{ctx} needs 'url' (the iCalendar feed, or env:VARIABLE)", "missing-field"
        )
        return None
    if not url.startswith(("https://", "http://", "env:")):
        c.error(s.value_at("url"), f"{ctx} url must be http(s):// or env:VARIABLE", "bad-value")
        return None
    token = c.text(s, "token", ctx)
    if token is not None and not token.startswith("env:"):
        c.error(
            s.value_at("token"),
            f"{ctx} token must be 'env:VARIABLE' so no secret is kept in YAML",
            "bad-value",
        )
        return None
    schedule_id = c.text(s, "id", ctx)
    if kind != "ical" and (schedule_id is None or token is None):
        c.error(s.where, f"{ctx} of kind {kind} needs 'id' and 'token'", "missing-field")
        return None
    return ScheduleSource(kind, url.rstrip("/"), schedule_id, token, s.where)


def _channel(c: Collector, s: YMap, key: str, what: str) -> str | None:
    if s.get(key) is None:
        return None
    return c.pattern(
        s[key], s.value_at(key), SLACK_CHANNEL, f"{what} {key}", '"#data-eng-oncall" or C0123ABCD'
    )


def read_person(c: Collector, raw: Any, where: SourceRef, what: str) -> Person | None:
    if isinstance(raw, str):  # shorthand: a Slack user id or an email
        raw = raw.strip()
        if SLACK_USER.match(raw):
            return Person(name=raw, slack_id=raw)
        if EMAIL.match(raw):
            return Person(name=raw.split("@")[0], email=raw)
        c.error(
            where, f"member {raw!r} of {what} is neither a Slack user id nor an email", "bad-value"
        )
        return None
    m = c.mapping(raw, where, f"member of {what}", MEMBER_FIELDS)
    if m is None:
        return None
    slack_id = email = None
    if m.get("slack") is not None:
        slack_id = c.pattern(
            m["slack"], m.value_at("slack"), SLACK_USER, "Slack user id", "U0123ABCD"
        )
    if m.get("email") is not None:
        email = c.pattern(m["email"], m.value_at("email"), EMAIL, "email", "ana@company.com")
    name = c.text(m, "name", f"member of {what}")
    if not (slack_id or email or name):
        c.error(
            m.where, f"a member of {what} needs a slack id, an email or a name", "missing-field"
        )
        return None
    return Person(name=name or slack_id or email or "", slack_id=slack_id, email=email)


def _rotation(
    c: Collector, raw: Any, where: SourceRef, what: str, members: tuple[Person, ...]
) -> Rotation | None:
    m = c.mapping(
        raw,
        where,
        f"{what} oncall",
        ONCALL_FIELDS,
        required=("members", "period", "timezone", "start"),
    )
    if m is None:
        return None
    ctx = f"{what} oncall"
    people = tuple(
        p
        for ref, at in c.items(m.get("members"), m.value_at("members"), f"{ctx} members")
        if (p := _member_ref(c, ref, at, members, what)) is not None
    )
    period = c.parsed(m, "period", ctx, _period_days)
    handoff = c.parsed(m, "handoff", ctx, parse_clock)
    tz = c.parsed(m, "timezone", ctx, zone_key)
    start = c.parsed(m, "start", ctx, parse_date)
    overrides = []
    for item, at in c.items(m.get("overrides"), m.value_at("overrides"), f"{ctx} overrides"):
        fields = (*OVERRIDE_FIELDS, *OVERRIDE_ALIASES)
        o = c.mapping(item, at, f"{ctx} override", fields, ("from",))
        if o is None:
            continue
        keys = _override_keys(c, o, ctx)
        if keys is None or any(o.get(k) is None for k in keys):
            continue
        member_key, to_key = keys[0], keys[2]
        person = _member_ref(c, o[member_key], o.value_at(member_key), members, what)
        begin = c.parsed(o, "from", f"{ctx} override", parse_instant)
        end = c.parsed(o, to_key, f"{ctx} override", parse_instant)
        if begin and end and end <= begin:
            c.error(o.value_at(to_key), f"{ctx} override ends before it starts", "bad-value")
        elif person and begin and end:
            overrides.append(Override(person, begin, end))
    covers = read_covers(c, m, ctx)
    if not people:
        if m.get("members") is not None:
            c.error(m.value_at("members"), f"{ctx} has no members", "missing-field")
        return None
    if period is None or tz is None or start is None:
        return None
    return Rotation(people, period, handoff or time(9, 0), tz, start, tuple(overrides), covers)


def _override_keys(c: Collector, o: YMap, ctx: str) -> tuple[str, str, str] | None:
    """Which spelling this override uses: ("member" or "person", "from", "to" or "until")."""
    chosen = []
    for canonical in ("member", "to"):
        alias = next(a for a, k in OVERRIDE_ALIASES.items() if k == canonical)
        if o.get(canonical) is not None and o.get(alias) is not None:
            c.error(
                o.value_at(alias),
                f"{ctx} override has both '{canonical}' and '{alias}'",
                "bad-value",
            )
            return None
        if o.get(canonical) is None and o.get(alias) is None:
            c.error(o.where, f"{ctx} override needs '{canonical}' (or '{alias}')", "missing-field")
            return None
        chosen.append(canonical if o.get(canonical) is not None else alias)
    return chosen[0], "from", chosen[1]


def _period_days(value: Any) -> int:
    if value in ("daily", "day"):
        return 1
    if value in ("weekly", "week"):
        return 7
    delta = parse_duration(value)
    if delta % timedelta(days=1):
        raise InvalidValue(f'rotation period {value!r} must be whole days, e.g. "1 week"')
    return delta.days


def _member_ref(
    c: Collector, ref: Any, where: SourceRef, members: tuple[Person, ...], what: str
) -> Person | None:
    if not isinstance(ref, str):
        c.error(where, f"on-call member of {what} must be a Slack id or email", "wrong-type")
        return None
    for person in members:
        if person.refers_to(ref):
            return person
    c.error(where, f"on-call member '{ref}' is not a member of {what}", "unknown-member")
    return None
