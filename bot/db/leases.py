"""Several replicas on one database: leases with fencing tokens, check claims, heartbeats.

The database is the only coordination point (APScheduler's job stores cannot be shared), and
its clock is the only clock: every expiry is set and compared by the database in the statement
that uses it (`bot.db.clock`), never from a replica's `datetime.now`.
- A *lease* ("outbox", "timers") is held by one replica until it expires unless renewed; each
  change of holder increments `token`. Work done under a lease is fenced: before each external
  effect (a Slack call) the holder confirms, in the database, that its token is still current
  (`Fence.confirm`, which also extends the lease), so a replica that was paused past its lease
  and wakes up cannot act on it.
- A *claim* on a contract's check (columns of `contract_status`) lets one replica run a due
  check; it expires too, so a replica that dies mid-check is replaced within the lease time.
- *Heartbeats*: each replica updates its `replicas` row every `HEARTBEAT_EVERY`. A lease or
  claim whose holder's heartbeat is older than `HOLDER_DEAD_AFTER` (3 heartbeats) may be taken
  before it expires: the database shows its holder is gone (SIGKILL, a lost host). A holder
  with no replica row (a CLI run, a test) is only ever replaced by expiry.
- SQLite is single-process: a second live replica on SQLite is refused at start.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, case, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.db.clock import db_now
from bot.db.models import ContractStatus, Lease, Replica
from bot.db.rows import rowcount

HEARTBEAT_EVERY = timedelta(seconds=10)
HOLDER_DEAD_AFTER = 3 * HEARTBEAT_EVERY  # no heartbeat for this long: the holder is gone
FORGET_REPLICA_AFTER = timedelta(minutes=5)  # longer than any lease: rows of long-dead ones


class SingleReplicaOnly(RuntimeError):
    """A second replica on SQLite: the message says what to do instead."""


def new_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def insert_ignore(engine: Engine, session: Session, model: type, **values: object) -> None:
    """INSERT … ON CONFLICT DO NOTHING on the primary key (PostgreSQL and SQLite)."""
    if engine.dialect.name == "postgresql":
        session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(model).values(**values).on_conflict_do_nothing())


def holder_is_gone(
    engine: Engine, holder: InstrumentedAttribute[str | None], dead_after: timedelta
) -> ColumnElement[bool]:
    """`holder` names a replica whose last heartbeat (database clock) is older than
    `dead_after`."""
    return holder.in_(select(Replica.id).where(Replica.heartbeat_at < db_now(engine, -dead_after)))


@dataclass(frozen=True)
class Fence:
    """Proof, checked in the database, that a lease is still ours: (name, holder, token)."""

    engine: Engine
    name: str
    holder: str
    token: int
    ttl: timedelta

    def confirm(self, session: Session) -> bool:
        """In the caller's transaction: True (and the lease extended) while our token holds."""
        result = session.execute(
            update(Lease)
            .where(Lease.name == self.name, Lease.holder == self.holder, Lease.token == self.token)
            .values(expires_at=db_now(self.engine, self.ttl))
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1


@dataclass
class LeaseKeeper:
    engine: Engine
    name: str
    holder: str
    ttl: timedelta = timedelta(seconds=20)
    dead_after: timedelta = HOLDER_DEAD_AFTER
    token: int | None = field(default=None, init=False)

    def acquire(self) -> int | None:
        """Take or renew the lease; the fencing token while held, else None.

        One conditional UPDATE decides, on the database's clock: ours already, free, expired,
        or held by a replica whose heartbeat stopped. A change of holder increments the token.
        """
        with Session(self.engine) as session, session.begin():
            insert_ignore(
                self.engine, session, Lease, name=self.name, holder=None, token=0, expires_at=None
            )
            now = db_now(self.engine)
            result = session.execute(
                update(Lease)
                .where(
                    Lease.name == self.name,
                    or_(
                        Lease.holder == self.holder,
                        Lease.holder.is_(None),
                        Lease.expires_at.is_(None),
                        Lease.expires_at <= now,
                        holder_is_gone(self.engine, Lease.holder, self.dead_after),
                    ),
                )
                .values(
                    token=case((Lease.holder == self.holder, Lease.token), else_=Lease.token + 1),
                    holder=self.holder,
                    expires_at=db_now(self.engine, self.ttl),
                )
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                self.token = None
                return None
            self.token = session.scalar(select(Lease.token).where(Lease.name == self.name))
            return self.token

    def fence(self) -> Fence | None:
        """The fence of the last successful `acquire`, to confirm before each external effect."""
        if self.token is None:
            return None
        return Fence(self.engine, self.name, self.holder, self.token, self.ttl)

    def release(self) -> None:
        self.token = None
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Lease)
                .where(Lease.name == self.name, Lease.holder == self.holder)
                .values(holder=None, expires_at=None)
            )


def claim_check(
    engine: Engine, contract_id: str, holder: str, now: datetime, lease: timedelta
) -> str | None:
    """Claim a due check of `contract_id`; the claim token, or None if not due or taken.

    `now` (the service's clock) decides whether the check is due; the claim's expiry is the
    database's clock, like every lease.
    """
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
                or_(
                    ContractStatus.claim_until.is_(None),
                    ContractStatus.claim_until <= db_now(engine),
                    holder_is_gone(engine, ContractStatus.claimed_by, HOLDER_DEAD_AFTER),
                ),
                or_(ContractStatus.next_check_at.is_(None), ContractStatus.next_check_at <= now),
            )
            .values(claimed_by=holder, claim_until=db_now(engine, lease), claim_token=token)
            .execution_options(synchronize_session=False)
        )
        return token if rowcount(result) == 1 else None


def next_attempt(engine: Engine, contract_id: str, now: datetime) -> datetime | None:
    """When a replica that lost the claim should look again, on the caller's clock (`now`):
    the later of the due time and the claim's end (the claim's remaining time is measured on
    the database's clock)."""
    with Session(engine) as session:
        row = session.execute(
            select(ContractStatus.next_check_at, ContractStatus.claim_until, db_now(engine)).where(
                ContractStatus.contract_id == contract_id
            )
        ).first()
    if row is None:
        return None
    due, claim_until, db_time = row
    times = [due] if due is not None else []
    if claim_until is not None:
        times.append(now + max(claim_until - db_time, timedelta(0)))
    return max(times) if times else None


def register_replica(engine: Engine, replica_id: str) -> None:
    """Record this replica; on SQLite refuse to start beside another live one."""
    with Session(engine) as session, session.begin():
        session.execute(
            delete(Replica).where(Replica.heartbeat_at < db_now(engine, -FORGET_REPLICA_AFTER))
        )
        if engine.dialect.name == "sqlite":
            live = select(Replica).where(Replica.heartbeat_at > db_now(engine, -HOLDER_DEAD_AFTER))
            for other in session.scalars(live):
                if _pid_alive(other):
                    raise SingleReplicaOnly(
                        f"another demarc (pid {other.pid} on {other.host}) already runs on this "
                        "SQLite database; SQLite allows one process. Stop it, or use PostgreSQL "
                        "(DEMARC_DATABASE_URL=postgresql+psycopg://…) to run several replicas."
                    )
        session.execute(
            insert(Replica).values(
                id=replica_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=db_now(engine),
                heartbeat_at=db_now(engine),
            )
        )


def heartbeat(engine: Engine, replica_id: str) -> None:
    """This replica is alive, on the database's clock."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(Replica).where(Replica.id == replica_id).values(heartbeat_at=db_now(engine))
        )
        if rowcount(result) == 0:  # forgotten after a long pause: be known again
            insert_ignore(
                engine,
                session,
                Replica,
                id=replica_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=db_now(engine),
                heartbeat_at=db_now(engine),
            )


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
