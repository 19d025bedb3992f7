"""Live flows against a real gevent server with real python-socketio clients."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
import socketio

from facilitator.loadtest import run_loadtest
from tests.live import (
    FAC_EMAIL,
    FAC_PASSWORD,
    LiveServer,
    cookie_header,
    create_workshop,
    facilitator_session,
    join,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    live = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield live
    live.stop()


class Client:
    """A phone or console: a socket that records what it receives."""

    def __init__(self, url: str, session: Any, workshop_id: int, role: str = "participant"):
        self.events: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        self.url, self.session, self.workshop_id, self.role = url, session, workshop_id, role

    def _record(self, name: str, data: Any = None) -> None:
        with self.lock:
            self.events.append((name, data))

    def connect(self) -> Client:
        self.sio.connect(self.url, headers={"Cookie": cookie_header(self.session)},
                         auth={"workshop": self.workshop_id, "role": self.role}, transports=["websocket"],
                         wait_timeout=10)
        return self

    def call(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.sio.call(name, payload, timeout=10)

    def received(self, name: str) -> list[Any]:
        with self.lock:
            return [d for n, d in self.events if n == name]

    def wait_for(self, name: str, count: int = 1, timeout: float = 5) -> list[Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.received(name)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        return self.received(name)


def test_phones_join_follow_the_stage_and_see_each_other(server):
    fac = facilitator_session(server.url)
    ws = create_workshop(fac, server.url, kinds=("check_in", "check_in"))
    console = Client(server.url, fac, ws["id"], role="facilitator").connect()
    alice = Client(server.url, join(server.url, ws["code"], "Alice"), ws["id"]).connect()
    bob = Client(server.url, join(server.url, ws["code"], "Bob"), ws["id"]).connect()
    assert console.call("activity:stage", {"activity_id": ws["activities"][1]})["ok"]
    for phone in (alice, bob):
        staged = phone.wait_for("activity:staged")
        assert staged[0]["data"]["activity"]["id"] == ws["activities"][1]
    assert console.call("activity:set_phase", {"activity_id": ws["activities"][1], "phase": "open"})["ok"]
    ack = alice.call("checkin:answer", {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][1],
                                        "text": "Ready"})
    assert ack["ok"]
    got = bob.wait_for("checkin:answered")
    assert got[0]["data"]["answer"]["text"] == "Ready"
    counters = console.wait_for("counters:changed")
    assert counters and counters[-1]["joined"] == 2
    for c in (console, alice, bob):
        c.sio.disconnect()


def test_a_phone_that_was_offline_catches_up_exactly(server):
    fac = facilitator_session(server.url)
    ws = create_workshop(fac, server.url)
    console = Client(server.url, fac, ws["id"], role="facilitator").connect()
    console.call("activity:stage", {"activity_id": ws["activities"][0]})
    console.call("activity:set_phase", {"activity_id": ws["activities"][0], "phase": "open"})
    alice_http = join(server.url, ws["code"], "Alice")
    alice = Client(server.url, alice_http, ws["id"]).connect()
    bob = Client(server.url, join(server.url, ws["code"], "Bob"), ws["id"]).connect()
    last_seq = alice.call("sync", {})["data"]["seq"]
    alice.sio.disconnect()
    for text in ("first", "second", "third"):
        assert bob.call("checkin:answer", {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][0],
                                           "text": text})["ok"]
    alice = Client(server.url, alice_http, ws["id"]).connect()
    delta = alice.call("sync", {"last_seq": last_seq})["data"]
    answered = [e["data"]["answer"]["text"] for e in delta["events"] if e["name"] == "checkin:answered"]
    assert answered == ["first", "second", "third"]
    # Live events after the catch-up continue the same numbering: no gap, no repeat.
    carol = Client(server.url, join(server.url, ws["code"], "Carol"), ws["id"]).connect()
    assert carol.call("checkin:answer", {"activity_id": ws["activities"][0], "text": "fourth"})["ok"]
    live = alice.wait_for("checkin:answered")
    assert live[0]["seq"] > max(e["seq"] for e in delta["events"])
    for c in (console, alice, bob, carol):
        c.sio.disconnect()


def test_a_retry_after_a_lost_ack_creates_nothing_twice(server):
    fac = facilitator_session(server.url)
    ws = create_workshop(fac, server.url)
    console = Client(server.url, fac, ws["id"], role="facilitator").connect()
    console.call("activity:stage", {"activity_id": ws["activities"][0]})
    console.call("activity:set_phase", {"activity_id": ws["activities"][0], "phase": "open"})
    http = join(server.url, ws["code"], "Alice")
    alice = Client(server.url, http, ws["id"]).connect()
    command = {"cid": uuid.uuid4().hex, "activity_id": ws["activities"][0], "text": "exactly once"}
    alice.sio.emit("checkin:answer", command)  # sent, ack never read: as if wifi dropped
    time.sleep(0.3)
    alice.sio.disconnect()
    alice = Client(server.url, http, ws["id"]).connect()
    retry = alice.call("checkin:answer", command)
    assert retry["ok"] and retry.get("duplicate") is True
    state = console.call("activity:state", {"activity_id": ws["activities"][0]})["data"]["state"]
    assert [a["text"] for a in state["answers"]] == ["exactly once"]
    for c in (console, alice):
        c.sio.disconnect()


def test_roles_and_workshops_are_enforced_on_a_real_server(server):
    fac = facilitator_session(server.url)
    first = create_workshop(fac, server.url, title="First")
    second = create_workshop(fac, server.url, title="Second")
    alice_http = join(server.url, first["code"], "Alice")
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(server.url, alice_http, second["id"]).connect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(server.url, alice_http, first["id"], role="facilitator").connect()
    alice = Client(server.url, alice_http, first["id"]).connect()
    refused = alice.call("activity:stage", {"activity_id": first["activities"][0]})
    assert refused["error"]["code"] == "forbidden"
    oversized = alice.call("checkin:answer", {"activity_id": first["activities"][0], "text": "x" * 5000})
    assert oversized["error"]["code"] == "invalid"
    assert alice.sio.connected
    alice.sio.disconnect()


def test_loadtest_runs_against_a_live_server(server):
    lines: list[str] = []
    result = run_loadtest(server.url, 20, email=FAC_EMAIL, password=FAC_PASSWORD, answers=5, echo=lines.append)
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["answers"] == 5
    assert any("fan-out" in line for line in lines)
