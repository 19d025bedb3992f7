"""Fixed-window counters kept in the database, so they hold across workers and restarts."""

from __future__ import annotations

from datetime import timedelta

from facilitator.db import utcnow
from facilitator.extensions import db
from facilitator.workshops.models import Throttle


def _current(key: str, window: int) -> Throttle | None:
    row = db.session.get(Throttle, key)
    if row is not None and row.window_start + timedelta(seconds=window) < utcnow():
        return None
    return row


def is_blocked(key: str, limit: int, window: int) -> bool:
    row = _current(key, window)
    return row is not None and row.count >= limit


def record(key: str, window: int) -> None:
    row = db.session.get(Throttle, key)
    now = utcnow()
    if row is None:
        db.session.add(Throttle(key=key, window_start=now, count=1))
    elif row.window_start + timedelta(seconds=window) < now:
        row.window_start = now
        row.count = 1
    else:
        row.count += 1
    db.session.commit()
