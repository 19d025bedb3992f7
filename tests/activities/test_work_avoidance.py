"""Work-avoidance checklist over the live protocol: anonymous ratings, coalesced aggregates, examples."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.conftest import ack

KIND = "work_avoidance"
NAMES = ("Zoltan Quibble", "Yvette Marchbanks", "Xander Pellucid")


def cid() -> str:
    return uuid.uuid4().hex


def received(client: Any, name: str) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def settle() -> None:
    """Let the coalesced push (0.25 s) run."""
    time.sleep(0.45)


@pytest.fixture
def room(make_workshop, phone, sockets, facilitator):
    """A staged, open checklist with three named phones, the big screen and the console connected."""
    ws = make_workshop(activities=(KIND,))
    browsers = [phone(ws["code"], n) for n in NAMES]
    phones = [sockets(b, ws["id"]) for b in browsers]
    screen = sockets(facilitator, ws["id"], role="screen")
    console = sockets(facilitator, ws["id"], role="facilitator")
    for client in (*phones, screen, console):
        client.get_received()
    return {"ws": ws, "activity_id": ws["activities"][0], "phones": phones, "browsers": browsers,
            "screen": screen, "console": console}


def rate(client: Any, activity_id: int, form_key: str, rating: int | None) -> dict[str, Any]:
    payload = {"cid": cid(), "activity_id": activity_id, "form_key": form_key, "rating": rating}
    return ack(client, "wa:rate", payload)


def row(results: dict[str, Any], key: str) -> dict[str, Any]:
    return next(a for a in results["aggregates"] if a["key"] == key)


def test_a_participant_rates_and_changes_a_rating(app, room):
    alice = room["phones"][0]
    aid = room["activity_id"]
    first = rate(alice, aid, "quick_fix", 3)
    assert first == {"ok": True, "data": {"form_key": "quick_fix", "rating": 3}}
    assert rate(alice, aid, "quick_fix", 1)["data"]["rating"] == 1
    assert rate(alice, aid, "denial", None)["ok"]  # a skip
    state = ack(alice, "sync", {})["data"]["snapshot"]["staged"]["state"]
    assert state["mine"] == {"quick_fix": 1, "denial": None}
    assert "results" not in state  # a phone never sees the room's answers

    from sqlalchemy import func, select

    from facilitator.activities.work_avoidance.models import WorkAvoidanceRating
    from facilitator.activities.work_avoidance.services import answered_count
    from facilitator.analysis.checklist import DEFAULT_FORMS
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkAvoidanceRating)) == 2
        activity = db.session.get(Activity, aid)
        # The workshop's own copy of the built-in checklist, anonymous by default.
        assert [f["key"] for f in activity.config["forms"]] == [f["key"] for f in DEFAULT_FORMS]
        assert activity.config["forms"][0]["counter_moves"] == DEFAULT_FORMS[0]["counter_moves"]
        assert [s["value"] for s in activity.config["scale"]] == [0, 1, 2, 3, 4]
        assert activity.visibility == "anonymous"
        assert answered_count(db.session.get(Activity, aid)) == 1
    # Skipping every form does not count as having answered.
    rate(alice, aid, "quick_fix", None)
    with app.app_context():
        assert answered_count(db.session.get(Activity, aid)) == 0


def test_live_aggregates_reach_screen_and_console_coalesced_not_phones(room):
    aid = room["activity_id"]
    alice, bob, carol = room["phones"]
    for client, rating in ((alice, 4), (bob, 3), (carol, 0)):
        assert rate(client, aid, "meetings_without_decisions", rating)["ok"]
    rate(alice, aid, "meetings_without_decisions", 2)  # a change counts once, the last one wins
    settle()
    pushes = received(room["screen"], "wa:results")
    assert 1 <= len(pushes) <= 2, "ratings are coalesced, not sent one by one"
    latest = pushes[-1]
    assert latest["activity_id"] == aid and latest["respondents"] == 3
    meetings = row(latest, "meetings_without_decisions")
    assert meetings["n"] == 3 and meetings["suppressed"] is False
    assert meetings["distribution"] == [1, 0, 1, 1, 0]
    assert meetings["mean"] == pytest.approx(5 / 3, abs=0.01)
    assert meetings["share_often"] == pytest.approx(1 / 3, abs=0.001)
    assert latest["top"][0]["key"] == "meetings_without_decisions"
    assert latest["top"][0]["counter_moves"]
    assert received(room["console"], "wa:results")[-1] == latest
    for client in (alice, bob, carol):
        names = {m["name"] for m in client.get_received()}
        assert not names & {"wa:results", "wa:examples"}, names


def test_distribution_is_withheld_below_three_answers(room):
    aid = room["activity_id"]
    alice, bob, carol = room["phones"]
    rate(alice, aid, "scapegoating", 4)
    rate(bob, aid, "scapegoating", 0)
    state = ack(room["screen"], "sync", {})["data"]["snapshot"]["staged"]["state"]
    two = row(state["results"], "scapegoating")
    assert two["n"] == 2 and two["suppressed"] is True
    assert two["distribution"] is None and two["mean"] is None and two["share_often"] is None
    assert state["results"]["top"] == []
    rate(carol, aid, "scapegoating", 2)
    state = ack(room["console"], "sync", {})["data"]["snapshot"]["staged"]["state"]
    three = row(state["results"], "scapegoating")
    assert three["suppressed"] is False and three["distribution"] == [1, 0, 1, 0, 1]


def test_nothing_anywhere_ties_an_answer_to_a_person(app, room, facilitator):
    aid = room["activity_id"]
    phones = room["phones"]
    for i, client in enumerate(phones):
        rate(client, aid, "denial", i + 1)
        rate(client, aid, "silencing", 4 - i)
        ack(client, "wa:example", {"activity_id": aid, "form_key": "denial", "text": f"Example number {i}"})
    settle()
    from facilitator.activities import get_kind
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity, Participant, WorkshopEvent

    with app.app_context():
        ids = {p.id for p in db.session.query(Participant).all()}
        stored = [e.payload for e in db.session.query(WorkshopEvent).all()]
        exported = get_kind(KIND).export(db.session.get(Activity, aid))

    seen: list[Any] = []
    for client in (*phones, room["screen"], room["console"]):
        # presence:changed (console only) lists who is connected, not who answered what.
        seen += [m["args"] for m in client.get_received() if m["name"] != "presence:changed"]
        snap = ack(client, "sync", {})["data"]["snapshot"]
        snap.pop("me", None)  # a phone's own identity, outside the activity
        snap.pop("online", None)  # the console's presence list (names who is connected, not who answered)
        seen.append(snap)
        seen.append(ack(client, "activity:state", {"activity_id": aid})["data"])
    seen += [stored, exported]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                assert key not in {"participant_id", "participant", "participant_key", "author"}, key
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    text = json.dumps(seen)
    for name in NAMES:
        assert name not in text
    walk(seen)
    # Example ids and aggregates are there; no participant id appears as a value next to an answer.
    assert ids and exported["examples"] and exported["findings"]
    assert all(set(e) == {"form_key", "form", "text"} for e in exported["examples"])
    assert exported["svg"].startswith("<svg")


def test_nothing_can_be_rated_after_close(room):
    aid = room["activity_id"]
    alice = room["phones"][0]
    assert rate(alice, aid, "denial", 2)["ok"]
    assert ack(room["console"], "activity:set_phase", {"activity_id": aid, "phase": "closed"})["ok"]
    late = rate(alice, aid, "denial", 4)
    assert late["ok"] is False and late["error"]["code"] == "activity_closed"
    example = ack(alice, "wa:example", {"activity_id": aid, "form_key": "denial", "text": "Too late"})
    assert example["error"]["code"] == "activity_closed"
    assert ack(alice, "sync", {})["data"]["snapshot"]["staged"]["state"]["mine"] == {"denial": 2}


def test_bad_payloads_get_error_acks(room):
    aid = room["activity_id"]
    alice = room["phones"][0]
    invalid = [
        {"activity_id": aid, "form_key": "denial", "rating": 7},
        {"activity_id": aid, "form_key": "denial", "rating": -1},
        {"activity_id": aid, "form_key": "denial", "rating": "3"},
        {"activity_id": aid, "form_key": "denial", "rating": True},
        {"activity_id": aid, "form_key": "denial", "rating": 2.5},
        {"activity_id": aid, "form_key": "denial"},
        {"activity_id": aid, "form_key": "denial", "rating": 2, "participant_id": 1},
        {"activity_id": aid, "form_key": "<b>x</b>", "rating": 2},
        {"activity_id": aid, "form_key": "x" * 41, "rating": 2},
    ]
    for payload in invalid:
        result = alice.emit("wa:rate", payload, callback=True)
        assert result["ok"] is False and result["error"]["code"] == "invalid", (payload, result)
    unknown = ack(alice, "wa:rate", {"activity_id": aid, "form_key": "no_such_form", "rating": 2})
    assert unknown["error"]["code"] == "unknown_form"
    too_long = ack(alice, "wa:example", {"activity_id": aid, "form_key": "denial", "text": "x" * 501})
    assert too_long["error"]["code"] == "invalid"
    assert ack(alice, "wa:example", {"activity_id": aid, "form_key": "denial", "text": "x" * 500})["ok"]
    # Another kind's activity and a facilitator cannot rate.
    assert ack(room["console"], "wa:rate", {"activity_id": aid, "form_key": "denial", "rating": 1})["error"][
        "code"] == "forbidden"
    assert alice.is_connected()


def test_a_retried_rating_counts_once(app, room):
    from sqlalchemy import func, select

    from facilitator.activities.work_avoidance.models import WorkAvoidanceRating
    from facilitator.extensions import db

    payload = {"cid": cid(), "activity_id": room["activity_id"], "form_key": "denial", "rating": 3}
    first = ack(room["phones"][0], "wa:rate", payload)
    second = ack(room["phones"][0], "wa:rate", payload)
    assert second["duplicate"] and first["data"] == second["data"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkAvoidanceRating)) == 1


def test_examples_stay_text_can_be_hidden_and_show_after_close(app, room, facilitator):
    aid = room["activity_id"]
    alice, bob, _ = room["phones"]
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    made = ack(alice, "wa:example", {"activity_id": aid, "form_key": "papers_not_action", "text": hostile})
    assert made["ok"] and made["data"]["text"] == hostile
    # Changing one's example replaces it; others' phones never see it.
    papers = {"activity_id": aid, "form_key": "papers_not_action"}
    kept = ack(bob, "wa:example", {**papers, "text": "  A 90-page plan  "})
    assert kept["data"]["text"] == "A 90-page plan"
    bob_example = ack(bob, "wa:example", {**papers, "text": "A 120-page plan"})
    assert bob_example["data"]["id"] == kept["data"]["id"]
    bob_state = ack(bob, "sync", {})["data"]["snapshot"]["staged"]["state"]
    assert bob_state["my_examples"] == {"papers_not_action": "A 120-page plan"}
    assert hostile not in json.dumps(bob_state)
    settle()
    pushed = received(room["screen"], "wa:examples")[-1]["examples"]
    assert [e["text"] for e in pushed] == [hostile, "A 120-page plan"]
    assert "wa:examples" not in {m["name"] for m in bob.get_received()}

    hide = {"activity_id": aid, "item_type": "example", "item_id": made["data"]["id"], "reason": "Off topic"}
    assert ack(room["console"], "item:hide", hide)["ok"]
    assert ack(room["console"], "activity:set_phase", {"activity_id": aid, "phase": "closed"})["ok"]
    screen_state = ack(room["screen"], "activity:state", {"activity_id": aid})["data"]
    assert screen_state["hidden_count"] == 1
    assert [e["text"] for e in screen_state["state"]["examples"]] == ["A 120-page plan"]
    staff_state = ack(room["console"], "activity:state", {"activity_id": aid})["data"]["state"]
    assert [(e["text"], e["is_hidden"]) for e in staff_state["examples"]] == [
        (hostile, True), ("A 120-page plan", False)]
    with app.app_context():
        from facilitator.activities import get_kind
        from facilitator.extensions import db
        from facilitator.workshops.models import Activity

        exported = get_kind(KIND).export(db.session.get(Activity, aid))
    assert [e["text"] for e in exported["examples"]] == ["A 120-page plan"]
    assert exported["hidden_examples"] == 1
    page = facilitator.get(f"/workshops/{room['ws']['id']}/moderation").get_data(as_text=True)
    assert "<script>alert(2)" not in page and "&lt;script&gt;" in page


# The shared ActivityEditForm passes SelectField choices as tuples, which this wtforms deprecates.
def test_settings_choose_the_forms_while_in_draft(app, make_workshop, facilitator):
    ws = make_workshop(activities=(KIND,), open_first=False, stage_first=False)
    aid = ws["activities"][0]
    url = f"/workshops/{ws['id']}/activities/{aid}"
    page = facilitator.get(url)
    assert page.status_code == 200 and "Meetings that decide nothing" in page.get_data(as_text=True)
    base = {"title": "Our patterns", "prompt": "How present?", "visibility": "anonymous",
            "wa_suppress_below": "4"}
    response = facilitator.post(url, data={**base, "wa_keep": ["denial", "scapegoating"]})
    assert response.status_code == 302
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    with app.app_context():
        activity = db.session.get(Activity, aid)
        assert [f["key"] for f in activity.config["forms"]] == ["denial", "scapegoating"]
        assert activity.config["suppress_below"] == 4
    named = facilitator.post(url, data={**base, "visibility": "named", "wa_keep": ["denial"]},
                             follow_redirects=True)
    assert "always anonymous" in named.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, aid).visibility == "anonymous"
