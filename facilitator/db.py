"""Declarative base, timestamps, and the SQLite write serialiser.

SQLite never yields to gevent: a greenlet that holds the write lock and yields (to emit on a socket,
say) while another greenlet waits in SQLite's busy handler blocks the whole process. So on SQLite every
unit of work that writes takes one process-wide lock before its first write and gives it back when
its transaction ends. ``threading.RLock`` becomes cooperative once gevent has patched the process.
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


_write_lock = threading.RLock()
_HELD = "facilitator_write_lock"
_LOCK_WAIT: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()  # engine -> seconds


class DatabaseBusy(Exception):
    """A write could not get the database's lock in time: the caller should say so and retry later."""


def _take(session: Session) -> None:
    if session.info.get(_HELD):
        return
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Bounded, like SQLite's own busy timeout: if another greenlet has waited out a lock held by another
    # process, the queue behind it must not wait its turn for each of them one after the other.
    wait = _LOCK_WAIT.get(bind)
    if not _write_lock.acquire(timeout=-1 if wait is None else wait):
        raise DatabaseBusy("the database write lock is held")
    session.info[_HELD] = True


def _give_back(session: Session) -> None:
    if session.info.pop(_HELD, False):
        _write_lock.release()


def install_write_serialiser(session_class: type[Session] | Any) -> None:
    """Listen on the sessions Flask-SQLAlchemy makes so SQLite writes take the process-wide lock."""

    @event.listens_for(session_class, "before_flush")
    def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
        if session.new or session.dirty or session.deleted:
            _take(session)

    @event.listens_for(session_class, "do_orm_execute")
    def _before_dml(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            _take(state.session)

    @event.listens_for(session_class, "after_transaction_end")
    def _after_end(session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            _give_back(session)


def configure_sqlite(engine: Engine, lock_timeout: float = 10.0) -> None:
    """SQLite pragmas, and how long a write waits for a lock (``lock_timeout`` seconds) on any backend.

    A write that waits longer fails (SQLite "database is locked", PostgreSQL ``lock_timeout``) and a live
    command is answered "busy, retry" instead of hanging: see ``realtime.protocol``. On PostgreSQL without
    it, a row or advisory lock held by a stuck transaction would make commands wait for ever.
    """
    _LOCK_WAIT[engine] = lock_timeout
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _lock_timeout(dbapi_conn: Any, record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT set_config('lock_timeout', %s, false)", (f"{int(lock_timeout * 1000)}ms",))
            cur.close()
            dbapi_conn.commit()

        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cur.close()
