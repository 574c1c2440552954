"""Several replicas on one database: leases with fencing tokens, check claims, heartbeats.

The database is the only coordination point (APScheduler's job stores cannot be shared).
- A *lease* ("outbox", "timers") is held by one replica until it expires unless renewed; each
  change of holder increments `token`, so work done under an old token can be refused.
- A *claim* on a contract's check (columns of `contract_status`) lets one replica run a due
  check; it expires too, so a replica that dies mid-check is replaced within the lease time.
- SQLite is single-process: a second live replica on SQLite is refused at start.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db.models import ContractStatus, Lease, Replica

HEARTBEAT_STALE = timedelta(seconds=30)


class SingleReplicaOnly(RuntimeError):
    """A second replica on SQLite: the message says what to do instead."""


def new_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _insert(engine: Engine):  # type: ignore[no-untyped-def]
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def insert_ignore(engine: Engine, session: Session, model: type, **values: object) -> None:
    """INSERT … ON CONFLICT DO NOTHING on the primary key (PostgreSQL and SQLite)."""
    statement = _insert(engine)(model).values(**values).on_conflict_do_nothing()
    session.execute(statement)


@dataclass
class LeaseKeeper:
    engine: Engine
    name: str
    holder: str
    ttl: timedelta = timedelta(seconds=20)

    def acquire(self, now: datetime) -> int | None:
        """Take or renew the lease; the fencing token while held, else None."""
        with Session(self.engine) as session, session.begin():
            insert_ignore(
                self.engine, session, Lease, name=self.name, holder=None, token=0, expires_at=None
            )
            lease = session.get(Lease, self.name, with_for_update=True)
            assert lease is not None
            expired = lease.expires_at is None or lease.expires_at <= now
            if lease.holder != self.holder and not expired:
                return None
            if lease.holder != self.holder:
                lease.token += 1
                lease.holder = self.holder
            lease.expires_at = now + self.ttl
            return lease.token

    def release(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Lease)
                .where(Lease.name == self.name, Lease.holder == self.holder)
                .values(holder=None, expires_at=None)
            )


def claim_check(
    engine: Engine, contract_id: str, holder: str, now: datetime, lease: timedelta
) -> str | None:
    """Claim a due check of `contract_id`; the claim token, or None if not due or taken."""
    token = uuid.uuid4().hex
    with Session(engine) as session, session.begin():
        insert_ignore(
            engine,
            session,
            ContractStatus,
            contract_id=contract_id,
            state="pending",
            consecutive_failures=0,
            failure_alerted=False,
        )
        result = session.execute(
            update(ContractStatus)
            .where(
                ContractStatus.contract_id == contract_id,
                or_(ContractStatus.claim_until.is_(None), ContractStatus.claim_until <= now),
                or_(ContractStatus.next_check_at.is_(None), ContractStatus.next_check_at <= now),
            )
            .values(claimed_by=holder, claim_until=now + lease, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def next_attempt(engine: Engine, contract_id: str, now: datetime) -> datetime | None:
    """When a replica that lost the claim should look again: the later of due time and claim."""
    with Session(engine) as session:
        row = session.execute(
            select(ContractStatus.next_check_at, ContractStatus.claim_until).where(
                ContractStatus.contract_id == contract_id
            )
        ).first()
    if row is None:
        return None
    times = [t for t in row if t is not None]
    return max(times) if times else None


def register_replica(engine: Engine, replica_id: str, now: datetime) -> None:
    """Record this replica; on SQLite refuse to start beside another live one."""
    with Session(engine) as session, session.begin():
        session.execute(delete(Replica).where(Replica.heartbeat_at < now - HEARTBEAT_STALE * 10))
        if engine.dialect.name == "sqlite":
            for other in session.scalars(select(Replica)):
                alive = other.heartbeat_at > now - HEARTBEAT_STALE and _pid_alive(other)
                if alive:
                    raise SingleReplicaOnly(
                        f"another demarc (pid {other.pid} on {other.host}) already runs on this "
                        "SQLite database; SQLite allows one process. Stop it, or use PostgreSQL "
                        "(DEMARC_DATABASE_URL=postgresql+psycopg://…) to run several replicas."
                    )
        host, pid = socket.gethostname(), os.getpid()
        session.add(Replica(id=replica_id, host=host, pid=pid, started_at=now, heartbeat_at=now))


def heartbeat(engine: Engine, replica_id: str, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Replica).where(Replica.id == replica_id).values(heartbeat_at=now))


def unregister_replica(engine: Engine, replica_id: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(Replica).where(Replica.id == replica_id))


def _pid_alive(replica: Replica) -> bool:
    if replica.host != socket.gethostname():
        return True  # cannot tell; trust the heartbeat
    try:
        os.kill(replica.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
