"""Declarative base, timestamps, and the SQLite write serialiser.

SQLite never yields to gevent: a greenlet that holds the write lock and yields (to emit on a socket,
say) while another greenlet waits in SQLite's busy handler blocks the whole process. So on SQLite every
unit of work that writes takes one process-wide lock before its first write and gives it back when
its transaction ends. ``threading.RLock`` becomes cooperative once gevent has patched the process.
"""

from __future__ import annotations

import threading
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


def _take(session: Session) -> None:
    if session.info.get(_HELD):
        return
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _write_lock.acquire()
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


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()
