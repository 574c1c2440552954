"""Backstage catalog entities as teams: a `Group` is a team, a `User` is a member of the
groups in its `spec.memberOf`. Other kinds (Component, System, Location …) are skipped.

Slack details Backstage has no field for come from annotations:
`demarc/slack-usergroup` (S…), `demarc/oncall-channel` ("#…") and `demarc/discipline` on a
Group, `demarc/slack-user` (U…) on a User.
"""

from __future__ import annotations

import re
from typing import Any

from ownership.formats.common import FormatResult, Membership
from ownership.model import Person, Team, UserGroup
from ownership.read.fields import (
    EMAIL,
    IDENTIFIER,
    SLACK_CHANNEL,
    SLACK_USER,
    SLACK_USERGROUP,
    Collector,
)
from ownership.yamlsafe import YMap

ANNOTATION_PREFIX = "demarc/"


def is_backstage(doc: YMap) -> bool:
    api = doc.get("apiVersion")
    return isinstance(api, str) and api.startswith("backstage.io/")


def group_name(ref: str) -> str:
    """ "team-a", "group:team-a", "group:default/team-a" -> "team-a" (namespaces flattened)."""
    return ref.split(":", 1)[-1].rsplit("/", 1)[-1].strip()


def read_backstage(c: Collector, doc: YMap) -> FormatResult:
    out = FormatResult()
    kind = doc.get("kind")
    if kind not in ("Group", "User"):
        return out
    meta = doc.get("metadata")
    if not isinstance(meta, YMap) or not isinstance(meta.get("name"), str):
        c.error(doc.where, f"Backstage {kind} needs metadata.name", "missing-field")
        return out
    name = meta["name"].strip()
    spec = doc.get("spec")
    if not isinstance(spec, YMap):
        c.error(doc.where, f"Backstage {kind} '{name}' needs a spec", "missing-field")
        return out
    raw_profile = spec.get("profile")
    profile: dict[str, Any] = raw_profile if isinstance(raw_profile, dict) else {}
    raw_notes = meta.get("annotations")
    notes = raw_notes if isinstance(raw_notes, YMap) else None
    what = f"Backstage {kind} '{name}'"
    if kind == "Group":
        if not IDENTIFIER.match(name):
            c.error(meta.value_at("name"), f"{what}: not usable as a team id", "bad-id")
            return out
        usergroup = _note(c, notes, "slack-usergroup", SLACK_USERGROUP, what, "S0123ABCD")
        out.teams.append(
            Team(
                id=name,
                name=str(profile.get("displayName") or name),
                discipline=_note(c, notes, "discipline", IDENTIFIER, what, "data_engineering"),
                usergroup=UserGroup(usergroup) if usergroup else None,
                oncall_channel=_note(
                    c, notes, "oncall-channel", SLACK_CHANNEL, what, '"#team-oncall"'
                ),
                source=doc.where,
            )
        )
        return out
    email = profile.get("email")
    person = Person(
        name=str(profile.get("displayName") or name),
        slack_id=_note(c, notes, "slack-user", SLACK_USER, what, "U0123ABCD"),
        email=email if isinstance(email, str) and EMAIL.match(email) else None,
    )
    member_of = spec.get("memberOf")
    for ref, at in c.items(member_of, spec.value_at("memberOf"), f"{what} memberOf"):
        if isinstance(ref, str) and ref.strip():
            out.memberships.append(Membership(group_name(ref), person, at))
    return out


def _note(
    c: Collector, notes: YMap | None, key: str, regex: re.Pattern[str], what: str, example: str
) -> str | None:
    full = ANNOTATION_PREFIX + key
    if notes is None or notes.get(full) is None:
        return None
    return c.pattern(notes[full], notes.value_at(full), regex, f"{what} annotation {full}", example)
