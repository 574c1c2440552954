"""Which checks must take the per-contract path although nothing about their own alert
changes: the batched quiet and still-late paths (`bot.freshness.quiet`) post nothing, so a
check that may post a heads-up, warn its downstreams or re-page a missed ETA goes one by one."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Alert, EtaRow
from bot.freshness.quiet import Checked
from ownership.foresight import needs_heads_up_path
from ownership.lineage import walk
from ownership.model import Contract, Registry
from ownership.sla import FreshnessState


def has_downstream_contract(registry: Registry, contract: Contract) -> bool:
    """A contract downstream of `contract`'s asset at any depth (assets without one pass)."""
    if not registry.downstream_of(contract.asset):
        return False
    return any(
        registry.contract_for(asset) is not None
        for asset, _ in walk(registry, contract.asset, "down", max_depth=50)
    )


def needs_own_path(session: Session, registry: Registry, checked: Iterable[Checked]) -> set[str]:
    """Ids of the checks the batched paths must leave alone (one query at most)."""
    own: set[str] = set()
    late: list[str] = []
    for item in checked:
        contract, evaluation = item.contract, item.evaluation
        if needs_heads_up_path(contract.sla, evaluation, item.now):
            own.add(contract.id)
        elif evaluation.state is FreshnessState.LATE:
            if has_downstream_contract(registry, contract):
                own.add(contract.id)  # its downstreams may be warned (predictions)
            else:
                late.append(contract.id)
    if late:  # an ETA on its open alert that may pass: the re-page runs per contract
        own.update(
            session.scalars(
                select(EtaRow.contract_id)
                .join(Alert, Alert.id == EtaRow.alert_id)
                .where(
                    EtaRow.contract_id.in_(late),
                    EtaRow.missed_at.is_(None),
                    Alert.status == "open",
                )
                .distinct()
            )
        )
    return own
