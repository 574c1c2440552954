"""Moving time in the database: leases, claims and heartbeats run on its clock, so a test
ages them there (one UPDATE, relative to the database's now) instead of waiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from bot.db.clock import db_now
from bot.db.models import ContractStatus, Lease, OutboxMessage, Replica


def age_send_claims(engine: Engine, by: timedelta) -> None:
    """Every row being sent was claimed `by` ago."""
    with Session(engine) as session, session.begin():
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "sending")
                        .values(claimed_at=db_now(engine, -by)))


def expire_lease(engine: Engine, name: str) -> None:
    """The lease ran out a second ago (its holder stopped renewing)."""
    with Session(engine) as session, session.begin():
        session.execute(update(Lease).where(Lease.name == name)
                        .values(expires_at=db_now(engine, -timedelta(seconds=1))))


def expire_check_claims(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(ContractStatus).where(ContractStatus.claim_until.is_not(None))
                        .values(claim_until=db_now(engine, -timedelta(seconds=1))))


def last_heartbeat(engine: Engine, replica_id: str, ago: timedelta) -> None:
    """The replica's last heartbeat was `ago` (a replica that stopped, e.g. SIGKILL)."""
    with Session(engine) as session, session.begin():
        session.execute(update(Replica).where(Replica.id == replica_id)
                        .values(heartbeat_at=db_now(engine, -ago)))
