"""The only place that emits to sockets.

Domain code *announces* an event inside its transaction: the workshop's ``seq`` is bumped and the event
stored in the same transaction as the change. When that transaction commits, the events are *published*
to the rooms of their audience. A rolled-back transaction publishes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from facilitator.extensions import db, socketio
from facilitator.workshops.models import Workshop, WorkshopEvent

log = logging.getLogger(__name__)

_PENDING = "facilitator_pending_events"
_READY = "facilitator_ready_events"

ALL = "all"
STAFF = "staff"


def participant_audience(participant_id: int) -> str:
    return f"p:{participant_id}"


def room_for(workshop_id: int, audience: str) -> str:
    if audience == ALL:
        return f"workshop:{workshop_id}"
    if audience == STAFF:
        return f"workshop:{workshop_id}:staff"
    if audience.startswith("p:"):
        return f"participant:{audience[2:]}"
    raise ValueError(audience)


def screen_room(workshop_id: int) -> str:
    return f"workshop:{workshop_id}:screen"


def announce(workshop_id: int, name: str, data: dict[str, Any], *, audience: str = ALL) -> int:
    """Record an event in the current transaction; it is sent once the transaction commits."""
    seq = db.session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(seq=Workshop.seq + 1)
        .returning(Workshop.seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.add(WorkshopEvent(workshop_id=workshop_id, seq=seq, name=name, audience=audience, payload=data))
    envelope = {"seq": seq, "data": data}
    db.session.info.setdefault(_PENDING, []).append((workshop_id, audience, name, envelope))
    return seq


def emit_now(name: str, data: dict[str, Any], room: str) -> None:
    """Send something that is not part of the record (derived counters): no seq, nothing stored."""
    socketio.emit(name, data, to=room)


def install_publisher(session_class: type[Session] | Any) -> None:
    @event.listens_for(session_class, "after_commit")
    def _committed(session: Session) -> None:
        pending = session.info.pop(_PENDING, [])
        if pending:
            session.info.setdefault(_READY, []).extend(pending)

    @event.listens_for(session_class, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)

    @event.listens_for(session_class, "after_transaction_end")
    def _ended(session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            return
        ready = session.info.pop(_READY, [])
        for workshop_id, audience, name, envelope in ready:
            try:
                socketio.emit(name, envelope, to=room_for(workshop_id, audience))
            except Exception:  # a failed emit must not undo a committed change; clients resync by seq
                log.exception("publishing %s failed", name)


class Coalescer:
    """Run ``fn(key)`` at most once per ``interval`` seconds per key, a little after the first call.

    Used for high-rate derived numbers (joined, online, answered counts) so the big screen gets a fresh
    total a few times a second rather than one message per vote.
    """

    def __init__(self, fn: Callable[[Any], None], interval: float = 0.25) -> None:
        self.fn = fn
        self.interval = interval
        self._pending: set[Any] = set()
        self._lock = threading.Lock()

    def poke(self, key: Any) -> None:
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        socketio.start_background_task(self._run, app, key)

    def _run(self, app: Flask, key: Any) -> None:
        socketio.sleep(self.interval)
        with self._lock:
            self._pending.discard(key)
        with app.app_context():
            try:
                self.fn(key)
            except Exception:
                log.exception("coalesced update failed")
