"""Claims on many due checks at once: the scheduler's batches (one transaction per batch).

The same rules as `leases.claim_check`, for a list of contracts in one transaction: one
conditional UPDATE per chunk claims every check that is due on the caller's clock and free on
the database's (no claim, an expired one, or a holder whose heartbeat stopped), with one new
token for the batch; statuses that do not exist yet are created and claimed the same way.
Fencing is unchanged: each check is recorded only after its token is confirmed, in the
transaction that records it (`FreshnessService`), so a check another replica took over
meanwhile is dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db.clock import db_now
from bot.db.leases import HOLDER_DEAD_AFTER, holder_is_gone
from bot.db.models import ContractStatus

CHUNK = 500  # contracts per statement (bounds the IN lists)


def claim_checks(
    engine: Engine, contract_ids: Sequence[str], holder: str, now: datetime, lease: timedelta
) -> dict[str, str]:
    """Claim the due checks of `contract_ids`; the claim token of each one claimed, in the
    order given (the others are not due, or another replica holds them).

    The claim first (the common case: every status exists); only the contracts it did not
    claim are looked up, and those without a status get one and are claimed in a second
    UPDATE, in the same transaction."""
    token = uuid.uuid4().hex
    won: set[str] = set()
    with Session(engine) as session, session.begin():
        for start in range(0, len(contract_ids), CHUNK):
            chunk = list(contract_ids[start : start + CHUNK])
            won.update(_claim(session, engine, chunk, holder, now, lease, token))
            left = [cid for cid in chunk if cid not in won]
            if not left:
                continue
            known = set(
                session.scalars(
                    select(ContractStatus.contract_id).where(ContractStatus.contract_id.in_(left))
                )
            )
            new = [cid for cid in left if cid not in known]
            if new:
                insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
                session.execute(  # a replica creating them at the same time: theirs stand
                    insert(ContractStatus).on_conflict_do_nothing(),
                    [
                        {
                            "contract_id": cid,
                            "state": "pending",
                            "consecutive_failures": 0,
                            "failure_alerted": False,
                        }
                        for cid in new
                    ],
                )
                won.update(_claim(session, engine, new, holder, now, lease, token))
    return {cid: token for cid in contract_ids if cid in won}


def _claim(
    session: Session,
    engine: Engine,
    ids: list[str],
    holder: str,
    now: datetime,
    lease: timedelta,
    token: str,
) -> list[str]:
    """One conditional UPDATE: the ids among `ids` claimed now."""
    return list(
        session.scalars(
            update(ContractStatus)
            .where(
                ContractStatus.contract_id.in_(ids),
                or_(
                    ContractStatus.claim_until.is_(None),
                    ContractStatus.claim_until <= db_now(engine),
                    holder_is_gone(engine, ContractStatus.claimed_by, HOLDER_DEAD_AFTER),
                ),
                or_(
                    ContractStatus.next_check_at.is_(None),
                    ContractStatus.next_check_at <= now,
                ),
            )
            .values(claimed_by=holder, claim_until=db_now(engine, lease), claim_token=token)
            .returning(ContractStatus.contract_id)
            .execution_options(synchronize_session=False)
        )
    )
