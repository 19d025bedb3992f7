"""A phone's answer meets a locked database: the page keeps it in its outbox, says it is waiting, sends
it again until the database takes it, and it lands once."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator

import pytest
import socketio
from playwright.sync_api import expect

from tests.e2e.test_workshop_live import PHONE, join_by_code
from tests.live import LiveServer, cookie_header, create_workshop, facilitator_session


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path, extra_env={"FACILITATOR_DB_LOCK_TIMEOUT": "0.5"}).start()
    yield live
    live.stop()


def answers(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT text FROM check_in_answer")]


def test_an_answer_that_meets_a_locked_database_waits_in_the_outbox_and_lands_once(browser, server):
    fac = facilitator_session(server.url)
    ws = create_workshop(fac, server.url, title="Locked summit")
    console = socketio.Client(reconnection=False)
    console.connect(
        server.url,
        headers={"Cookie": cookie_header(fac)},
        transports=["websocket"],
        auth={"workshop": ws["id"], "role": "facilitator"},
    )
    assert console.call("activity:stage", {"activity_id": ws["activities"][0]})["ok"]
    assert console.call("activity:set_phase", {"activity_id": ws["activities"][0], "phase": "open"})["ok"]
    console.disconnect()
    fac.close()

    ctx = browser.new_context(**PHONE)
    phone = ctx.new_page()
    join_by_code(phone, server.url, ws["code"], "Alice")
    expect(phone.get_by_label("Your answer")).to_be_visible()

    # Another program (a backup, an open sqlite3 shell) holds the database's write lock.
    db = sqlite3.connect(server.instance / "facilitator.db", isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    log = server.instance / "server.log"
    busy_before = log.read_text(errors="replace").count("database busy")
    try:
        phone.get_by_label("Your answer").fill("Still here")
        phone.get_by_role("button", name="Send").click()
        # The server has answered "busy" at least twice: the page sent it again after the first.
        deadline = time.monotonic() + 30
        while log.read_text(errors="replace").count("database busy") < busy_before + 2:
            assert time.monotonic() < deadline, "the server never answered busy twice"
            time.sleep(0.1)
        expect(phone.locator("#net")).to_have_text("1 waiting to send")
        expect(phone.locator(".answer-form .form-status")).to_have_text("Saving…")
        outbox = json.loads(phone.evaluate(f"localStorage.getItem('outbox:{ws['id']}:participant')"))
        assert [op["payload"]["text"] for op in outbox] == ["Still here"]
        assert answers(db) == []
    finally:
        db.execute("ROLLBACK")

    # The lock is gone: the next retry goes through, once.
    expect(phone.locator("#net")).to_have_text("Connected", timeout=20_000)
    expect(phone.locator(".answer-form .form-status")).to_have_text("Saved")
    expect(phone.locator(".wall-text")).to_have_text(["Still here"])
    assert answers(db) == ["Still here"]
    assert json.loads(phone.evaluate(f"localStorage.getItem('outbox:{ws['id']}:participant')")) == []
    db.close()
    ctx.close()
