"""Limits a flood runs into, each with a message a person can act on."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Flask

from facilitator.extensions import db, socketio
from tests.conftest import ack
from tests.security.conftest import row_counts


def _open_all(app: Flask, workshop_id: int) -> None:
    from facilitator.workshops import services
    from facilitator.workshops.models import ActivityPhase, Workshop

    with app.app_context():
        for activity in db.session.get(Workshop, workshop_id).activities[1:]:
            services.set_activity_phase(activity, ActivityPhase.OPEN, by=None)


def _refused(result: dict[str, Any], code: str | None = None) -> str:
    assert result["ok"] is False, result
    if code:
        assert result["error"]["code"] == code, result
    message = result["error"]["message"]
    assert isinstance(message, str) and len(message) > 10, result
    return message


def test_a_phone_sending_too_fast_is_told_to_wait_and_then_let_through(app, make_workshop, phone, sockets):
    ws = make_workshop()
    app.config.update(COMMAND_RATE=3, RATE_WINDOW=3)  # three at once, then one a second
    sio = sockets(phone(ws["code"], "Quick Quentin"), ws["id"])
    activity = ws["activities"][0]
    for n in range(3):
        assert ack(sio, "activity:state", {"activity_id": activity})["ok"], n
    with app.app_context():
        before = row_counts()
    message = _refused(
        ack(sio, "checkin:answer", {"activity_id": activity, "text": "Too quick"}), "rate_limited"
    )
    assert "too fast" in message
    with app.app_context():
        assert row_counts() == before
    assert sio.is_connected()
    time.sleep(1.1)
    assert ack(sio, "checkin:answer", {"activity_id": activity, "text": "Now slower"})["ok"]


def test_a_device_guessing_codes_is_stopped_with_a_clear_page(app, make_workshop, client):
    ws = make_workshop()
    guesser = app.test_client()
    wrong = [f"{n:06d}" for n in range(100000, 100000 + app.config["JOIN_ATTEMPTS_PER_DEVICE"])]
    for code in wrong:
        if code == ws["code"]:
            continue
        assert guesser.get(f"/j/{code}").status_code == 302
    blocked = guesser.get(f"/j/{wrong[0][:-1]}9")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_one_wrong_code_tried_from_many_devices_is_stopped(app, make_workshop):
    make_workshop()
    code = "999998"
    for _ in range(app.config["JOIN_ATTEMPTS_PER_CODE"]):
        assert app.test_client().get(f"/j/{code}").status_code == 302
    response = app.test_client().get(f"/j/{code}")
    assert response.status_code == 429
    assert "Please wait a few minutes" in response.get_data(as_text=True)


def test_socket_frames_are_capped_and_long_text_is_refused_by_field(app, make_workshop, phone, sockets):
    assert socketio.server.eio.max_http_buffer_size == app.config["MAX_SOCKET_PAYLOAD"] <= 64 * 1024
    ws = make_workshop()
    sio = sockets(phone(ws["code"], "Verbose Val"), ws["id"])
    with app.app_context():
        before = row_counts()
    result = ack(sio, "checkin:answer", {"activity_id": ws["activities"][0], "text": "word " * 5000})
    message = _refused(result, "invalid")
    assert "text" in message and "text" in result["error"]["fields"]
    with app.app_context():
        assert row_counts() == before


def test_every_kind_caps_what_one_person_can_add(app, make_workshop, phone, sockets):
    ws = make_workshop(activities=("check_in", "stakeholder_map", "open_space", "commitment_tree"))
    _open_all(app, ws["id"])
    check_in, smap, ospace, tree = ws["activities"]
    sio = sockets(phone(ws["code"], "Prolific Pat"), ws["id"])

    def until_refused(name: str, make: Any, most: int) -> str:
        for n in range(most):
            assert ack(sio, name, make(n))["ok"], (name, n)
        with app.app_context():
            before = row_counts()
        message = _refused(ack(sio, name, make(most)))
        with app.app_context():
            assert row_counts() == before, name
        return message

    from facilitator.activities.check_in.schemas import MAX_ANSWERS_EACH
    from facilitator.activities.commitment_tree.schemas import MAX_COMMITMENTS_EACH
    from facilitator.activities.open_space.schemas import MAX_TOPICS_EACH
    from facilitator.activities.stakeholder_map.schemas import MAX_RELATIONSHIPS_EACH, MAX_STAKEHOLDERS_EACH

    messages = [
        until_refused(
            "checkin:answer", lambda n: {"activity_id": check_in, "text": f"Answer {n}"}, MAX_ANSWERS_EACH
        ),
        until_refused(
            "topic:propose", lambda n: {"activity_id": ospace, "title": f"Topic {n}"}, MAX_TOPICS_EACH
        ),
        until_refused(
            "commitment:post", lambda n: {"activity_id": tree, "text": f"Promise {n}"}, MAX_COMMITMENTS_EACH
        ),
    ]
    ids: list[int] = []

    def stakeholder(n: int) -> dict[str, Any]:
        return {"activity_id": smap, "name": f"Body {uuid.uuid4().hex[:8]} {n}", "confirm_new": True}

    for n in range(MAX_STAKEHOLDERS_EACH):
        result = ack(sio, "stakeholder:add", stakeholder(n))
        assert result["ok"], result
        ids.append(result["data"]["id"])
    messages.append(_refused(ack(sio, "stakeholder:add", stakeholder(99))))
    pairs = [(a, b) for a in ids for b in ids if a < b][: MAX_RELATIONSHIPS_EACH + 1]
    messages.append(
        until_refused(
            "relationship:add",
            lambda n: {"activity_id": smap, "source_id": pairs[n][0], "target_id": pairs[n][1]},
            MAX_RELATIONSHIPS_EACH,
        )
    )
    assert len(set(messages)) == len(messages), messages  # each says what ran out
