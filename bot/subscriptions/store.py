"""Who follows which asset: one row per (person, asset), each call its own short transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import Subscription
from bot.db.rows import rowcount
from bot.outbox.enqueue import utc

MAX_PER_PERSON = 200


def subscribe(engine: Engine, user_id: str, asset: str, now: datetime) -> bool:
    """Follow `asset`; False when `user_id` followed it already."""
    try:
        with Session(engine) as session, session.begin():
            known = select(Subscription.id).where(
                Subscription.user_id == user_id, Subscription.asset == asset
            )
            if session.scalar(known) is not None:
                return False
            session.add(Subscription(user_id=user_id, asset=asset, created_at=utc(now)))
    except IntegrityError:  # the same click twice, at the same moment
        return False
    return True


def unsubscribe(engine: Engine, user_id: str, asset: str) -> bool:
    """Stop following `asset`; False when `user_id` did not follow it."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            delete(Subscription).where(
                Subscription.user_id == user_id, Subscription.asset == asset
            )
        )
        return rowcount(result) > 0


def followed_by(engine: Engine, user_id: str) -> list[str]:
    """The assets `user_id` follows, by name."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Subscription.asset)
                .where(Subscription.user_id == user_id)
                .order_by(Subscription.asset)
                .limit(MAX_PER_PERSON)
            )
        )


def followers(session: Session, asset: str) -> list[str]:
    """The people following `asset`, in the caller's transaction."""
    return list(
        session.scalars(
            select(Subscription.user_id)
            .where(Subscription.asset == asset)
            .order_by(Subscription.user_id)
        )
    )

