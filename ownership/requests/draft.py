"""A contract file drafted from an accepted request, in the user's example shape
(examples/registry/contracts/customer_master_db.contract.yaml)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ownership.requests.model import DataRequestForm

DEFAULT_POLICY = (
    "30 days notice via #data-changes",
    "announced but no approval needed",
)


@dataclass(frozen=True, slots=True)
class Draft:
    path: str  # relative to the registry root
    text: str


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def update_time(form: DataRequestForm) -> str:
    f = form.freshness
    if f.frequency == "hourly":
        return f":{f.at[-2:]}"
    day = "Mon " if f.frequency == "weekly" else ""
    return f"{day}{f.at} {f.timezone}"


def draft_contract(
    form: DataRequestForm,
    *,
    request_id: int,
    owner_team: str,
    consumer_teams: tuple[str, ...],
    oncall: str | None,
    thread_url: str | None,
    contracts_dir: str = "contracts",
) -> Draft:
    """A new contract for `form.source`; the consumers include the requesting team."""
    consumers = ", ".join(dict.fromkeys((*consumer_teams, form.consumer_team)))
    lines = [
        f"# Data contract from data request #{request_id}: {form.what[:120]}".replace("\n", " "),
        *([f"# Agreed in {thread_url}"] if thread_url else []),
        f"data_source: {form.source}",
        f"owner_team: {owner_team}",
        f"consumer_teams: [{consumers}]",
        "",
        "sla:",
        f"  update_frequency: {form.freshness.frequency}",
        f"  update_time: {_q(update_time(form))}",
        f"  max_delay: {_q(form.freshness.max_delay)}",
        "",
    ]
    if form.columns:
        lines.append("schema:")
        lines += [
            f"  {c.name}: {{type: {c.type}, required: {'true' if c.required else 'false'}}}"
            for c in form.columns
        ]
        lines.append("")
    lines += [
        "change_policy:",
        f"  breaking_changes: {_q(DEFAULT_POLICY[0])}",
        f"  non_breaking_changes: {_q(DEFAULT_POLICY[1])}",
    ]
    if oncall:
        lines += ["", "contacts:", f"  oncall: {_q(oncall)}"]
    return Draft(f"{contracts_dir}/{form.source}.contract.yaml", "\n".join(lines) + "\n")
