"""PostgreSQL: migrations, and the seq bump and publish order under concurrent writers."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.scale.cluster import facilitator_cli, sqlalchemy_url

pytestmark = pytest.mark.services


def _schema(url: str) -> dict[str, set[str]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
    finally:
        engine.dispose()


def test_facilitator_init_migrates_postgresql_to_the_same_schema_as_sqlite(postgres_url: str, tmp_path: Path):
    env = {**os.environ, "FACILITATOR_INSTANCE_PATH": str(tmp_path / "sqlite")}
    env.pop("FACILITATOR_DATABASE_URL", None)
    facilitator_cli(env, "init")
    sqlite = _schema(f"sqlite:///{tmp_path / 'sqlite' / 'facilitator.db'}")

    env = {**env, "FACILITATOR_DATABASE_URL": postgres_url, "FACILITATOR_INSTANCE_PATH": str(tmp_path / "pg")}
    assert "postgresql+psycopg://" in facilitator_cli(env, "init")
    facilitator_cli(env, "init")  # a second run changes nothing
    postgres = _schema(sqlalchemy_url(postgres_url))
    assert "workshop_event" in postgres and "alembic_version" in postgres
    assert postgres == sqlite


@pytest.fixture
def pg_app(postgres_url: str, tmp_path: Path):
    from facilitator import create_app
    from facilitator.extensions import db

    app = create_app({"ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(postgres_url),
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20}})
    with app.app_context():
        db.create_all()
        from facilitator.workshops.models import Workshop

        workshop = Workshop(title="Concurrency", code="123456")
        db.session.add(workshop)
        db.session.commit()
        app.config["TEST_WORKSHOP"] = workshop.id
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _announce_from_threads(app: Any, count: int, body: Any = None) -> list[BaseException]:
    from facilitator.extensions import db
    from facilitator.realtime.publish import announce

    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def writer(i: int) -> None:
        with app.app_context():
            try:
                start.wait()
                announce(app.config["TEST_WORKSHOP"], "test:event", {"i": i})
                if body:
                    body(i)
                db.session.commit()
            except BaseException as err:
                errors.append(err)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_concurrent_writers_get_distinct_consecutive_seqs(pg_app: Any, monkeypatch: pytest.MonkeyPatch):
    """UPDATE .. RETURNING row-locks the workshop: no two events ever share a seq, none is skipped."""
    from facilitator.extensions import db
    from facilitator.realtime import publish
    from facilitator.workshops.models import Workshop, WorkshopEvent

    monkeypatch.setattr(publish.socketio, "emit", lambda *a, **k: None)
    assert _announce_from_threads(pg_app, 16) == []
    with pg_app.app_context():
        seqs = sorted(db.session.scalars(db.select(WorkshopEvent.seq)).all())
        assert seqs == list(range(1, 17))
        assert db.session.get(Workshop, pg_app.config["TEST_WORKSHOP"]).seq == 16


def test_events_reach_the_message_queue_in_seq_order(pg_app: Any, monkeypatch: pytest.MonkeyPatch):
    """Two writers commit seq 1 and 2; the first is slow to publish. Without the publish-order lock the
    second would go out first and every client would drop seq 1 as old."""
    from facilitator.realtime import publish

    sent: list[int] = []
    lock = threading.Lock()

    def slow_emit(name: str, envelope: dict[str, Any], to: str) -> None:
        if envelope["seq"] == 1:
            time.sleep(0.5)  # a slow Redis round trip, a busy event loop
        with lock:
            sent.append(envelope["seq"])

    monkeypatch.setattr(publish.socketio, "emit", slow_emit)

    def stagger(i: int) -> None:
        time.sleep(0.05 * i)  # the writers commit one after the other, in thread order

    assert _announce_from_threads(pg_app, 4, stagger) == []
    assert sent == [1, 2, 3, 4]


def test_a_rolled_back_writer_lets_go_of_the_order_lock(pg_app: Any, monkeypatch: pytest.MonkeyPatch):
    from facilitator.extensions import db
    from facilitator.realtime import publish
    from facilitator.realtime.publish import announce

    monkeypatch.setattr(publish.socketio, "emit", lambda *a, **k: None)
    with pg_app.app_context():
        announce(pg_app.config["TEST_WORKSHOP"], "test:event", {})
        db.session.rollback()
        announce(pg_app.config["TEST_WORKSHOP"], "test:event", {})
        db.session.remove()  # closed without commit or rollback
    done = threading.Event()

    def other() -> None:
        with pg_app.app_context():
            announce(pg_app.config["TEST_WORKSHOP"], "test:event", {})
            db.session.commit()
            done.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert done.wait(10), "the advisory lock leaked into the pool"
    thread.join(10)
