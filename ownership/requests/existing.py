"""What already exists for a requested source: its contract, its SLA and how it kept it."""

from __future__ import annotations

from dataclasses import dataclass

from ownership.model import Contract, Registry
from ownership.sla import describe_age_sla, describe_sla


@dataclass(frozen=True, slots=True)
class OnTime:
    on_time_days: int
    days: int  # days with at least one expected period


def existing_contract(registry: Registry, source: str) -> Contract | None:
    return registry.contract_for(source) or registry.contracts.get(source)


def describe_existing(contract: Contract | None, history: OnTime | None) -> str:
    """E.g. "customer_master_db is daily, due 02:00 UTC, late after 02:30 UTC; on time 29 of
    30 days"; plain text (escaped where shown)."""
    if contract is None:
        return "No contract covers this source yet: accepting this request drafts the first."
    if contract.sla is not None:
        terms = describe_sla(contract.sla)
    elif contract.freshness is not None:
        terms = describe_age_sla(contract.freshness)
    else:
        terms = "without a freshness SLA"
    text = f"{contract.id} is {terms}"
    if history is None or history.days == 0:
        return f"{text}; no checks recorded in the last 30 days."
    return f"{text}; on time {history.on_time_days} of {history.days} days."
