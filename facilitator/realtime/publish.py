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
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from facilitator.extensions import db, socketio
from facilitator.workshops.models import Workshop, WorkshopEvent

log = logging.getLogger(__name__)

_PENDING = "facilitator_pending_events"
_READY = "facilitator_ready_events"
_ORDERED = "facilitator_publish_ordered"  # session.info: this transaction holds a publish-order lock
_ADVISORY = "facilitator_advisory_locks"  # connection info: workshops whose advisory lock it holds
_LOCK_SPACE = 0x46AC  # first key of pg_advisory_lock(int, int): "our" locks, the workshop id second

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


def facilitator_room(facilitator_id: int) -> str:
    """Every console socket of one facilitator account, on whichever worker (news for that person only:
    a PDF they asked for is ready). Not part of any workshop's record: no seq."""
    return f"facilitator:{facilitator_id}"


def announce(workshop_id: int, name: str, data: dict[str, Any], *, audience: str = ALL) -> int:
    """Record an event in the current transaction; it is sent once the transaction commits."""
    seq = db.session.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)
        .values(seq=Workshop.seq + 1)
        .returning(Workshop.seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    _hold_publish_order(workshop_id)
    db.session.add(WorkshopEvent(workshop_id=workshop_id, seq=seq, name=name, audience=audience, payload=data))
    envelope = {"seq": seq, "data": data}
    db.session.info.setdefault(_PENDING, []).append((workshop_id, audience, name, envelope))
    return seq


def has_pending_events(session: Session | Any) -> bool:
    """Events announced in the session's open transaction, not yet committed."""
    return bool(session.info.get(_PENDING))


def _hold_publish_order(workshop_id: int) -> None:
    """Across workers, publish a workshop's events in ``seq`` order.

    The seq bump above row-locks the workshop until COMMIT, but the publish comes after the commit: two
    workers could commit seq 5 and 6 in order and still publish 6 first, and a client that has seen 6
    drops 5 as old. On PostgreSQL the announcing transaction therefore also takes a session-level
    advisory lock on the workshop (after the row lock, so the order of locks is always the same) and
    keeps it until its events are on the message queue; the next announcer waits for that. If a worker
    dies, PostgreSQL drops its locks with its connection. SQLite runs in one process: nothing to do.
    """
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return
    held: set[int] = conn.info.setdefault(_ADVISORY, set())
    if workshop_id not in held:
        conn.exec_driver_sql("SELECT pg_advisory_lock(%(ns)s, %(id)s)",
                             {"ns": _LOCK_SPACE, "id": workshop_id})
        held.add(workshop_id)
        db.session.info[_ORDERED] = True


def emit_now(name: str, data: dict[str, Any], room: str) -> None:
    """Send something that is not part of the record (derived counters): no seq, nothing stored."""
    socketio.emit(name, data, to=room)


def install_publisher(session_class: type[Session] | Any) -> None:
    @event.listens_for(session_class, "after_commit")
    def _committed(session: Session) -> None:
        pending = session.info.pop(_PENDING, [])
        if session.info.pop(_ORDERED, False):
            # PostgreSQL: publish now, while this connection still holds the workshop's advisory lock;
            # the lock goes when the connection is checked back in (see _release_advisory_locks).
            _publish_in_order(pending)
        elif pending:
            session.info.setdefault(_READY, []).extend(pending)

    @event.listens_for(session_class, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)
        session.info.pop(_ORDERED, None)

    @event.listens_for(session_class, "after_transaction_end")
    def _ended(session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            return
        session.info.pop(_ORDERED, None)
        _publish(session.info.pop(_READY, []))

    event.listen(Pool, "checkin", _release_advisory_locks)


def _publish(ready: list[tuple[int, str, str, dict[str, Any]]]) -> None:
    for workshop_id, audience, name, envelope in ready:
        try:
            socketio.emit(name, envelope, to=room_for(workshop_id, audience))
        except Exception:  # a failed emit must not undo a committed change; clients resync by seq
            log.exception("publishing %s failed", name)


# Events committed but never sent ------------------------------------------------------------------
#
# A worker that dies between committing a change and putting its events on the message queue leaves
# them in the workshop's record but unsent. Phones that reconnect catch up from the record by seq; phones
# that stay connected to other workers would see the next event and never ask for the missed one. So,
# with Redis, each workshop keeps a mark in Redis: the last seq put on the queue. Publishers hold the
# workshop's advisory lock (above), so they take turns: each first sends, from the record, anything
# between the mark and its own first event, then its own, then moves the mark. A worker that notices
# another has stopped (rooms._keep_presence) also sends what is missing up to each workshop's seq.

_MARK = "facilitator:published:{}"
_MARK_SECONDS = 7 * 24 * 3600
REFILL_MAX = 1000  # a longer gap is not sent again: clients that see it go stale resync anyway


def _marks() -> Any | None:
    """The Redis client for publish marks, when the message queue is Redis; None otherwise."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = str(app.config.get("MESSAGE_QUEUE") or "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = app.extensions.get("facilitator_publish_marks")
    if client is None:
        import redis

        client = app.extensions["facilitator_publish_marks"] = redis.Redis.from_url(url, socket_timeout=5)
    return client


def _publish_in_order(pending: list[tuple[int, str, str, dict[str, Any]]]) -> None:
    try:
        client = _marks()
    except Exception:
        log.exception("publish marks unavailable")
        client = None
    if client is None:
        _publish(pending)
        return
    by_workshop: dict[int, list[tuple[int, str, str, dict[str, Any]]]] = {}
    for item in pending:
        by_workshop.setdefault(item[0], []).append(item)
    for workshop_id, events in by_workshop.items():
        _refill(client, workshop_id, events[0][3]["seq"] - 1)
        _publish(events)
        _set_mark(client, workshop_id, events[-1][3]["seq"])


def _set_mark(client: Any, workshop_id: int, seq: int) -> None:
    try:
        client.set(_MARK.format(workshop_id), seq, ex=_MARK_SECONDS)
    except Exception:
        log.exception("could not record what was published for workshop %s", workshop_id)


def _refill(client: Any, workshop_id: int, upto: int) -> int:
    """Send the stored events after the workshop's mark, up to seq ``upto``; how many were sent. The
    caller holds the workshop's advisory lock, so no one else publishes meanwhile."""
    try:
        mark = client.get(_MARK.format(workshop_id))
    except Exception:
        log.exception("could not read what was published for workshop %s", workshop_id)
        return 0
    if mark is None or int(mark) >= upto:
        return 0
    after = int(mark)
    if upto - after > REFILL_MAX:
        log.warning("workshop %s: %d events were never published; too many to send again", workshop_id,
                    upto - after)
        return 0
    with db.engine.connect() as conn:  # the committed record, read beside the (finished) transaction
        rows = conn.execute(
            select(WorkshopEvent.seq, WorkshopEvent.name, WorkshopEvent.audience, WorkshopEvent.payload)
            .where(WorkshopEvent.workshop_id == workshop_id)
            .where(WorkshopEvent.seq > after, WorkshopEvent.seq <= upto)
            .order_by(WorkshopEvent.seq)
        ).all()
    _publish([(workshop_id, r.audience, r.name, {"seq": r.seq, "data": r.payload}) for r in rows])
    if rows:
        log.warning("workshop %s: sent %d event(s) (seq %d to %d) that were committed but never published",
                    workshop_id, len(rows), rows[0].seq, rows[-1].seq)
    return len(rows)


def publish_unsent() -> int:
    """Send what stopped workers committed and never published, for every workshop not ended (PostgreSQL
    with Redis only). Returns how many events were sent."""
    from facilitator.workshops.models import WorkshopPhase

    client = _marks()
    if client is None or db.engine.dialect.name != "postgresql":
        return 0
    sent = 0
    with db.engine.connect() as conn:
        live = conn.execute(
            select(Workshop.id, Workshop.seq).where(Workshop.phase != WorkshopPhase.ENDED)
        ).all()
        if not live:
            return 0
        marks = client.mget([_MARK.format(w.id) for w in live])
        behind = [w.id for w, m in zip(live, marks, strict=True) if m is not None and int(m) < w.seq]
        for workshop_id in behind:
            # Someone publishing now holds the lock: they fill the gap themselves.
            got = conn.exec_driver_sql("SELECT pg_try_advisory_lock(%(ns)s, %(id)s)",
                                       {"ns": _LOCK_SPACE, "id": workshop_id}).scalar()
            if not got:
                continue
            try:
                seq = conn.execute(select(Workshop.seq).where(Workshop.id == workshop_id)).scalar_one()
                n = _refill(client, workshop_id, seq)
                sent += n
                if n:
                    _set_mark(client, workshop_id, seq)
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(%(ns)s, %(id)s)",
                                     {"ns": _LOCK_SPACE, "id": workshop_id})
        conn.rollback()
    return sent


def _release_advisory_locks(dbapi_connection: Any, record: Any) -> None:
    """A connection goes back to the pool (commit, rollback or close): let go of its publish-order locks."""
    if record is None or not record.info.pop(_ADVISORY, None):
        return
    try:
        dbapi_connection.execute("SELECT pg_advisory_unlock_all()")
        dbapi_connection.rollback()
    except Exception:
        log.exception("releasing publish-order locks failed; dropping the connection")
        record.invalidate()


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
