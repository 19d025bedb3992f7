"""A database that is locked or slow: a clear "busy, retry" answer, nothing half-written, and the same
command sent again afterwards carried out exactly once. On SQLite and on PostgreSQL (the app fixture)."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select

from facilitator.activities.check_in.models import CheckInAnswer
from facilitator.extensions import db
from facilitator.workshops.models import ProcessedCommand, Workshop, WorkshopEvent
from tests.conftest import ack

LOCK_TIMEOUT = 1.5  # seconds: long enough for the "slow" case, short enough to keep the suite quick


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"DB_LOCK_TIMEOUT": LOCK_TIMEOUT}


class Holder:
    """Another connection (another process, a backup, a stuck transaction) holding a write lock that the
    workshop's commands need: SQLite's write lock, or on PostgreSQL the workshop's row."""

    def __init__(self, app: Flask, workshop_id: int):
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        self.sqlite: sqlite3.Connection | None = None
        self.pg: sa.Connection | None = None
        if url.startswith("sqlite:///"):
            self.sqlite = sqlite3.connect(
                url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
            )
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:
            self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            self.pg = self.engine.connect()
            self.pg.execute(sa.text("SELECT id FROM workshop WHERE id = :id FOR UPDATE"), {"id": workshop_id})
        self.released = threading.Event()

    def release(self) -> None:
        if self.released.is_set():
            return
        self.released.set()
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
        if self.pg is not None:
            self.pg.rollback()
            self.pg.close()
            self.engine.dispose()


@contextmanager
def locked(app: Flask, workshop_id: int) -> Iterator[Holder]:
    holder = Holder(app, workshop_id)
    try:
        yield holder
    finally:
        holder.release()


def record(app: Flask, workshop_id: int) -> dict[str, Any]:
    """What the database holds for the workshop: answers, command ids carried out, seq, events."""
    with app.app_context():
        db.session.remove()
        return {
            "answers": sorted(db.session.execute(select(CheckInAnswer.id, CheckInAnswer.text)).all()),
            "commands": set(
                db.session.scalars(
                    select(ProcessedCommand.command_id).where(ProcessedCommand.workshop_id == workshop_id)
                )
            ),
            "seq": db.session.get(Workshop, workshop_id).seq,
            "events": db.session.scalar(
                select(func.count())
                .select_from(WorkshopEvent)
                .where(WorkshopEvent.workshop_id == workshop_id)
            ),
        }


def answered(client: Any) -> list[str]:
    return [
        m["args"][0]["data"]["answer"]["text"]
        for m in client.get_received()
        if m["name"] == "checkin:answered"
    ]


def test_a_locked_database_gives_a_retry_answer_and_the_resend_lands_once(app, make_workshop, phone, sockets):
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    bob.get_received()
    before = record(app, ws["id"])
    command = {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][0], "text": "Kept safe"}

    with locked(app, ws["id"]):
        refused = ack(alice, "checkin:answer", command)
        # Still locked: the browser's outbox sends it again after a pause, and is told the same.
        again = ack(alice, "checkin:answer", command)

    for answer in (refused, again):
        assert answer["ok"] is False
        error = answer["error"]
        assert error["code"] == "busy" and error["retry"] is True
        assert error["message"] == "The database is busy. Your change is kept and will be sent again."
    # Nothing half-written: no answer, the command id not recorded (so a resend is not taken for a
    # duplicate), no seq used, no event stored or sent; the connection is still up.
    assert record(app, ws["id"]) == before
    assert answered(bob) == []
    assert alice.is_connected()

    # The lock is gone: the same command, same id, is carried out once.
    done = ack(alice, "checkin:answer", command)
    assert done["ok"] is True and "duplicate" not in done
    repeat = ack(alice, "checkin:answer", command)
    assert repeat == {"ok": True, "data": done["data"], "duplicate": True}
    after = record(app, ws["id"])
    assert after["answers"] == [(done["data"]["id"], "Kept safe")]
    assert after["commands"] == before["commands"] | {command["cid"]}
    assert answered(bob) == ["Kept safe"]


def test_a_slow_database_makes_a_command_wait_not_fail(app, make_workshop, phone, sockets):
    """A lock released well within the timeout (a slow disk, a short backup step): the command waits
    for it and is carried out, with no error to the phone."""
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    with locked(app, ws["id"]) as holder:
        threading.Timer(0.2, holder.release).start()
        result = ack(
            alice,
            "checkin:answer",
            {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][0], "text": "Worth the wait"},
        )
        assert holder.released.is_set()
    assert result["ok"] is True, result
    assert record(app, ws["id"])["answers"] == [(result["data"]["id"], "Worth the wait")]


def test_a_write_stuck_in_this_process_does_not_queue_the_others_for_ever(app, make_workshop, phone, sockets):
    """SQLite serialises writes inside the process; a command that cannot get that turn in time is
    answered "busy" like one that met a lock held by another process."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the in-process write turn is SQLite's (PostgreSQL locks rows)")
    from facilitator.db import _write_lock

    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    taken, done = threading.Event(), threading.Event()

    def stuck_writer() -> None:
        with _write_lock:
            taken.set()
            done.wait(30)

    threading.Thread(target=stuck_writer, daemon=True).start()
    assert taken.wait(5)
    command = {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][0], "text": "Not lost"}
    try:
        refused = ack(alice, "checkin:answer", command)
    finally:
        done.set()
    assert refused["ok"] is False and refused["error"]["code"] == "busy" and refused["error"]["retry"] is True
    assert record(app, ws["id"])["answers"] == []
    result = ack(alice, "checkin:answer", command)
    assert result["ok"] is True
    assert record(app, ws["id"])["answers"] == [(result["data"]["id"], "Not lost")]


def test_phones_can_still_catch_up_and_read_while_the_database_is_locked(app, make_workshop, phone, sockets):
    """Reads need no write lock: a phone that reconnects, or opens the activity on stage, is served while
    another connection holds the lock (reading the state records nothing, though it carries an id)."""
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    before = record(app, ws["id"])
    with locked(app, ws["id"]):
        caught_up = ack(alice, "sync", {"last_seq": 0})
        state = ack(alice, "activity:state", {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][0]})
    assert caught_up["ok"] and caught_up["data"]["seq"] == before["seq"]
    assert (
        state["ok"] and state["data"]["id"] == ws["activities"][0] and state["data"]["state"]["answers"] == []
    )
    assert record(app, ws["id"]) == before
