"""Fixed-window counters kept in the database, so they hold across workers and restarts.

Counting is one atomic statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on both PostgreSQL
and SQLite): the database serialises concurrent attempts on a key, so however many workers and
greenlets race, the n-th attempt in a window sees n. Reading the count first and writing it afterwards
would let every racer through that read before the first one wrote.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, literal
from sqlalchemy.dialects import postgresql, sqlite

from facilitator.db import utcnow
from facilitator.extensions import db
from facilitator.workshops.models import Throttle


def _current(key: str, window: int) -> Throttle | None:
    row = db.session.get(Throttle, key)
    if row is not None and row.window_start + timedelta(seconds=window) < utcnow():
        return None
    return row


def is_blocked(key: str, limit: int, window: int) -> bool:
    """A quick look, no counting: has ``key`` already used up its ``limit`` in this window?"""
    row = _current(key, window)
    return row is not None and row.count >= limit


def hit(key: str, window: int) -> int:
    """Count one attempt on ``key`` and return how many there have been in its window, this one
    included. Atomic across workers; commits at once (an attempt counts even if the caller fails)."""
    now = utcnow()
    started = literal(now, Throttle.__table__.c.window_start.type)  # stored as naive UTC, as on insert
    expired = Throttle.window_start < now - timedelta(seconds=window)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Throttle)
        .values(key=key, window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=[Throttle.key],
            set_={
                # Both expressions read the row as it was: a stale window starts again at one.
                "count": case((expired, 1), else_=Throttle.count + 1),
                "window_start": case((expired, started), else_=Throttle.window_start),
            },
        )
        .returning(Throttle.count)
    )
    count = int(db.session.execute(stmt).scalar_one())
    db.session.commit()  # also expires any Throttle row this session loaded before
    return count


def allow(key: str, limit: int, window: int) -> bool:
    """Count an attempt; true while it is within ``limit`` for the window."""
    return hit(key, window) <= limit


def record(key: str, window: int) -> None:
    """Count an attempt without asking about a limit."""
    hit(key, window)
