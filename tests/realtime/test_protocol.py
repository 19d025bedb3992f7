"""The live protocol through Flask-SocketIO's test client: rooms, roles, validation, idempotency."""

from __future__ import annotations

import uuid

from tests.conftest import ack, names


def cid() -> str:
    return uuid.uuid4().hex


def test_a_phone_that_answers_is_seen_by_others_and_the_screen(make_workshop, phone, sockets, facilitator):
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    screen = sockets(facilitator, ws["id"], role="screen")
    for client in (alice, bob, screen):
        client.get_received()

    result = ack(alice, "checkin:answer", {"cid": cid(), "activity_id": ws["activities"][0], "text": "Hopeful"})
    assert result["ok"], result

    for client in (bob, screen):
        events = [m for m in client.get_received() if m["name"] == "checkin:answered"]
        assert events and events[0]["args"][0]["data"]["answer"]["text"] == "Hopeful"
        assert events[0]["args"][0]["data"]["answer"]["author"] == "Alice"
        assert isinstance(events[0]["args"][0]["seq"], int)


def refused(client) -> bool:
    """The test client cannot tell a refused connect; a refused one has no session and gets no answer."""
    try:
        answer = client.emit("sync", {}, callback=True)
    except RuntimeError:
        return True
    return not (isinstance(answer, dict) and answer.get("ok"))


def test_connect_is_refused_without_a_join(app, make_workshop, sockets):
    ws = make_workshop()
    assert refused(sockets(app.test_client(), ws["id"]))


def test_a_participant_cannot_reach_another_workshop(make_workshop, phone, sockets):
    first = make_workshop("First")
    second = make_workshop("Second")
    browser = phone(first["code"], "Alice")
    # Same phone, other workshop's id: refused at connect.
    assert refused(sockets(browser, second["id"]))
    # Connected to its own workshop, it cannot name an activity of the other one.
    own = sockets(browser, first["id"])
    result = ack(own, "checkin:answer", {"activity_id": second["activities"][0], "text": "Sneaky"})
    assert not result["ok"] and result["error"]["code"] == "not_found"


def test_a_participant_cannot_run_facilitator_commands(make_workshop, phone, sockets):
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    for name, payload in [
        ("activity:stage", {"activity_id": ws["activities"][0]}),
        ("timer:start", {"seconds": 60}),
        ("item:hide", {"activity_id": ws["activities"][0], "item_type": "answer", "item_id": 1, "reason": "x"}),
    ]:
        result = ack(alice, name, payload)
        assert result == {"ok": False, "error": {"code": "forbidden", "message": result["error"]["message"]}}


def test_a_participant_cannot_claim_the_facilitator_role(make_workshop, phone, sockets):
    ws = make_workshop()
    assert refused(sockets(phone(ws["code"], "Mallory"), ws["id"], role="facilitator"))
    assert refused(sockets(phone(ws["code"], "Mallory"), ws["id"], role="screen"))


def test_bad_payloads_get_an_error_ack_and_the_connection_stays(make_workshop, phone, sockets):
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    activity_id = ws["activities"][0]
    cases = [
        ["not a dict"],
        {"activity_id": activity_id},  # missing text
        {"activity_id": activity_id, "text": ""},
        {"activity_id": activity_id, "text": "x" * 281},
        {"activity_id": activity_id, "text": "ok", "admin": True},  # unknown field
        {"activity_id": "one", "text": "ok"},
        {"activity_id": activity_id, "text": "ok", "cid": "bad id with spaces"},
    ]
    for payload in cases:
        result = alice.emit("checkin:answer", payload, callback=True)
        assert result["ok"] is False and result["error"]["code"] == "invalid", (payload, result)
        assert "Traceback" not in result["error"]["message"]
    assert alice.is_connected()
    assert ack(alice, "checkin:answer", {"activity_id": activity_id, "text": "still here"})["ok"]


def test_a_retried_command_creates_nothing_twice(app, make_workshop, phone, sockets):
    from sqlalchemy import func, select

    from facilitator.activities.check_in.models import CheckInAnswer
    from facilitator.extensions import db

    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    payload = {"cid": cid(), "activity_id": ws["activities"][0], "text": "Only once"}
    first = ack(alice, "checkin:answer", payload)
    second = ack(alice, "checkin:answer", payload)
    assert first["ok"] and second["ok"] and second.get("duplicate")
    assert first["data"] == second["data"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckInAnswer)) == 1


def test_answers_are_refused_when_the_activity_is_not_open(make_workshop, phone, sockets):
    ws = make_workshop(open_first=False)
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    result = ack(alice, "checkin:answer", {"activity_id": ws["activities"][0], "text": "Too early"})
    assert result["error"]["code"] == "activity_not_open"


def test_staging_reaches_every_phone_with_the_activity(make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=("check_in", "check_in"), stage_first=False)
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    console = sockets(facilitator, ws["id"], role="facilitator")
    alice.get_received()
    result = ack(console, "activity:stage", {"cid": cid(), "activity_id": ws["activities"][1]})
    assert result["ok"], result
    staged = [m for m in alice.get_received() if m["name"] == "activity:staged"]
    assert staged[0]["args"][0]["data"]["activity"]["id"] == ws["activities"][1]


def test_sync_returns_exactly_what_was_missed(make_workshop, phone, sockets, facilitator):
    ws = make_workshop()
    alice_browser = phone(ws["code"], "Alice")
    alice = sockets(alice_browser, ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    first = ack(alice, "sync", {})
    assert first["data"]["mode"] == "snapshot"
    seq = first["data"]["seq"]
    alice.disconnect()
    for text in ("one", "two", "three"):
        assert ack(bob, "checkin:answer", {"activity_id": ws["activities"][0], "text": text})["ok"]
    alice = sockets(alice_browser, ws["id"])
    delta = ack(alice, "sync", {"last_seq": seq})["data"]
    assert delta["mode"] == "delta"
    texts = [e["data"]["answer"]["text"] for e in delta["events"] if e["name"] == "checkin:answered"]
    assert texts == ["one", "two", "three"]
    seqs = [e["seq"] for e in delta["events"]]
    assert seqs == sorted(set(seqs)) and all(s > seq for s in seqs)
    # Asking again from the newest seq gives nothing more.
    assert ack(alice, "sync", {"last_seq": delta["seq"]})["data"]["events"] == []


def test_staff_only_events_never_reach_phones(make_workshop, phone, sockets, facilitator):
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    alice.get_received()
    facilitator.post(f"/workshops/{ws['id']}/activities", data={"kind": "check_in", "title": "Second"})
    assert "agenda:changed" not in names(alice.get_received())
    delta = ack(alice, "sync", {"last_seq": 0})["data"]
    assert "agenda:changed" not in [e["name"] for e in delta["events"]]


def test_hiding_is_logged_and_everyone_sees_the_count(app, make_workshop, phone, sockets, facilitator):
    from facilitator.extensions import db
    from facilitator.workshops.models import ModerationEntry

    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    console = sockets(facilitator, ws["id"], role="facilitator")
    answer_id = ack(alice, "checkin:answer", {"activity_id": ws["activities"][0], "text": "<b>rude</b>"})["data"]["id"]
    alice.get_received()
    hide = {"activity_id": ws["activities"][0], "item_type": "answer", "item_id": answer_id, "reason": ""}
    assert ack(console, "item:hide", hide)["error"]["code"] == "reason_required"
    assert ack(console, "item:hide", {**hide, "reason": "Personal attack"})["ok"]
    hidden = [m for m in alice.get_received() if m["name"] == "item:hidden"]
    assert hidden[0]["args"][0]["data"]["hidden_count"] == 1
    snapshot = ack(alice, "sync", {})["data"]["snapshot"]
    assert snapshot["staged"]["state"]["answers"] == []
    assert snapshot["staged"]["hidden_count"] == 1
    staff = ack(console, "sync", {})["data"]["snapshot"]
    assert staff["staged"]["state"]["answers"][0]["is_hidden"] is True
    assert ack(console, "item:restore", hide)["ok"]
    restored = [m for m in alice.get_received() if m["name"] == "item:restored"]
    assert restored[0]["args"][0]["data"]["item"]["text"] == "<b>rude</b>"
    with app.app_context():
        log = db.session.query(ModerationEntry).order_by(ModerationEntry.id).all()
        assert [(e.action, e.reason, e.item_text) for e in log] == [
            ("hide", "Personal attack", "<b>rude</b>"),
            ("restore", "", "<b>rude</b>"),
        ]
    page = facilitator.get(f"/workshops/{ws['id']}/moderation").get_data(as_text=True)
    assert "&lt;b&gt;rude&lt;/b&gt;" in page and "Personal attack" in page


def test_names_to_facilitators_only_are_hidden_from_phones(make_workshop, phone, sockets, facilitator, app):
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    ws = make_workshop(open_first=False)
    with app.app_context():
        db.session.get(Activity, ws["activities"][0]).visibility = "facilitators"
        db.session.commit()
    console = sockets(facilitator, ws["id"], role="facilitator")
    ack(console, "activity:set_phase", {"activity_id": ws["activities"][0], "phase": "open"})
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    bob.get_received()
    console.get_received()
    ack(alice, "checkin:answer", {"activity_id": ws["activities"][0], "text": "Quietly hopeful"})
    to_bob = [m["args"][0]["data"]["answer"] for m in bob.get_received() if m["name"] == "checkin:answered"]
    assert to_bob == [{"id": to_bob[0]["id"], "text": "Quietly hopeful", "author": None}]
    to_staff = [m["args"][0]["data"]["answer"] for m in console.get_received() if m["name"] == "checkin:answered"]
    assert any(a["author"] == "Alice" for a in to_staff)


def test_timer_runs_from_a_server_end_time(make_workshop, facilitator, sockets):
    ws = make_workshop()
    console = sockets(facilitator, ws["id"], role="facilitator")
    console.get_received()
    assert ack(console, "timer:start", {"seconds": 300})["ok"]
    assert ack(console, "timer:add", {"seconds": 60})["ok"]
    changes = [m["args"][0]["data"] for m in console.get_received() if m["name"] == "timer:changed"]
    assert changes[1]["ends_at"] - changes[0]["ends_at"] == 60_000
    assert ack(console, "timer:pause", {})["ok"]
    paused = ack(console, "sync", {})["data"]["snapshot"]["timer"]
    assert paused["ends_at"] is None and 355 <= paused["remaining"] <= 360
    assert ack(console, "timer:stop", {})["ok"]


def test_commands_are_rate_limited_per_connection(app, make_workshop, phone, sockets):
    app.config["COMMAND_RATE"] = 5
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    results = [alice.emit("sync", {}, callback=True) for _ in range(8)]
    assert [r["ok"] for r in results].count(False) >= 2
    assert results[-1]["error"]["code"] == "rate_limited"


def test_ended_workshops_take_no_more_answers(make_workshop, phone, sockets, facilitator):
    ws = make_workshop()
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    facilitator.post(f"/workshops/{ws['id']}/phase", data={"phase": "ended"})
    result = ack(alice, "checkin:answer", {"activity_id": ws["activities"][0], "text": "late"})
    assert result["error"]["code"] == "workshop_ended"
