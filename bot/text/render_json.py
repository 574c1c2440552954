"""JSON rendering of answers for `demarc whoowns --json` and scripts."""

from __future__ import annotations

from typing import Any

from ownership.answers import ActivityAnswer, Answer, LinkedAsset, NotFound, TeamRoles
from ownership.model import Person


def _person(p: Person | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"name": p.name, "slack_id": p.slack_id, "email": p.email}


def _team(tr: TeamRoles) -> dict[str, Any]:
    return {
        "team": tr.team.id,
        "name": tr.team.name,
        "roles": tr.label,
        "usergroup": tr.team.usergroup.id if tr.team.usergroup else None,
        "oncall_channel": tr.team.oncall_channel,
        "on_call": _person(tr.oncall),
    }


def _link(link: LinkedAsset) -> dict[str, Any]:
    return {
        "asset": link.asset.id,
        "kind": link.asset.kind,
        "distance": link.distance,
        "owners": [_team(o) for o in link.owners],
    }


def answer_to_json(answer: Answer) -> dict[str, Any]:
    if isinstance(answer, NotFound):
        return {"found": False, "query": answer.query, "suggestions": list(answer.suggestions)}
    if isinstance(answer, ActivityAnswer):
        return {
            "found": True,
            "type": "activity",
            "activity": answer.activity.id,
            "name": answer.activity.name,
            "teams": [_team(t) for t in answer.teams],
        }
    contract = None
    if answer.contract is not None:
        c = answer.contract.contract
        contract = {
            "id": c.id,
            "owner_team": c.owner_team,
            "consumer_teams": list(c.consumer_teams),
            "sla": answer.contract.sla_words,
            "status": answer.contract.status,
            "quality": answer.contract.quality,
            "change_policy": c.change_policy.breaking_changes,
        }
    return {
        "found": True,
        "type": "asset",
        "asset": answer.asset.id,
        "kind": answer.asset.kind,
        "matched_by": answer.matched_by,
        "description": answer.asset.description,
        "teams": [_team(t) for t in answer.teams],
        "contract": contract,
        "upstream": [_link(u) for u in answer.upstream],
        "downstream": [_link(d) for d in answer.downstream],
        "runbook": answer.runbook,
    }
