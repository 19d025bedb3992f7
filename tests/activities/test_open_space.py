"""Open Space through the live protocol: marketplace, agenda wall, the law of two feet, reports."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid

from tests.conftest import ack, names


def cid() -> str:
    return uuid.uuid4().hex


def events(client, name: str) -> list[dict]:
    """Payloads of one event name; recorded events come in a ``{seq, data}`` envelope, counters bare."""
    found = [m["args"][0] for m in client.get_received() if m["name"] == name]
    return [env["data"] if "seq" in env else env for env in found]


def setup_room(make_workshop, phone, sockets, facilitator, *people: str):
    ws = make_workshop(activities=("open_space",))
    aid = ws["activities"][0]
    phones = [sockets(phone(ws["code"], name), ws["id"]) for name in people]
    console = sockets(facilitator, ws["id"], role="facilitator")
    screen = sockets(facilitator, ws["id"], role="screen")
    state = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    for client in (*phones, console, screen):
        client.get_received()
    return ws, aid, phones, console, screen, state


def propose(client, aid: int, title: str, description: str = "") -> int:
    result = ack(
        client,
        "topic:propose",
        {"cid": cid(), "activity_id": aid, "title": title, "description": description},
    )
    assert result["ok"], result
    return result["data"]["id"]


def test_defaults_give_three_slots_and_four_spaces(make_workshop, phone, sockets, facilitator):
    _ws, _aid, _phones, _console, _screen, state = setup_room(make_workshop, phone, sockets, facilitator)
    assert len(state["slots"]) == 3 and len(state["spaces"]) == 4
    assert state["stage"] == "marketplace" and state["topics"] == []


def test_two_phones_propose_and_mark_interest_seen_live(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob), console, screen, _state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    housing = propose(alice, aid, "Housing first", "Who holds the keys?")
    crisis = propose(bob, aid, "Crisis cafés")

    proposed = events(screen, "topic:proposed")
    assert [t["topic"]["title"] for t in proposed] == ["Housing first", "Crisis cafés"]
    assert proposed[0]["topic"]["convener"] == "Alice" and proposed[0]["activity_id"] == aid
    assert [t["topic"]["title"] for t in events(alice, "topic:proposed")] == ["Housing first", "Crisis cafés"]

    result = ack(
        bob, "topic:interest", {"cid": cid(), "activity_id": aid, "topic_id": housing, "interested": True}
    )
    assert result["ok"] and result["data"]["interest_count"] == 1
    assert ack(alice, "topic:interest", {"activity_id": aid, "topic_id": crisis, "interested": True})["ok"]
    # Marking twice does not count twice; toggling off takes it away.
    assert (
        ack(bob, "topic:interest", {"activity_id": aid, "topic_id": housing, "interested": True})["data"][
            "interest_count"
        ]
        == 1
    )
    changes = events(screen, "topic:interest_changed")
    assert [(c["topic_id"], c["interest_count"]) for c in changes] == [(housing, 1), (crisis, 1)]
    assert (
        ack(bob, "topic:interest", {"activity_id": aid, "topic_id": housing, "interested": False})["data"][
            "interest_count"
        ]
        == 0
    )
    assert events(alice, "topic:interest_changed")[-1] == {
        "activity_id": aid,
        "topic_id": housing,
        "interest_count": 0,
    }

    mine = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    assert mine["mine"]["convening"] == [housing] and mine["mine"]["interested"] == [crisis]
    assert {t["title"]: t["interest_count"] for t in mine["topics"]} == {
        "Housing first": 0,
        "Crisis cafés": 1,
    }


def test_only_the_convener_edits_a_topic_and_phones_cannot_run_the_wall(
    make_workshop, phone, sockets, facilitator
):
    ws, aid, (alice, bob), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    topic = propose(alice, aid, "Housing first")
    edit = {"activity_id": aid, "topic_id": topic, "title": "Hijacked", "description": ""}
    assert ack(bob, "topic:edit", edit)["error"]["code"] == "forbidden"
    assert ack(alice, "topic:edit", {**edit, "title": "Housing first, together"})["ok"]
    assert events(screen, "topic:edited")[-1]["topic"]["title"] == "Housing first, together"
    # A facilitator may edit any topic.
    assert ack(console, "topic:edit", {**edit, "title": "Housing first (merged)"})["ok"]

    slot, space = state["slots"][0]["id"], state["spaces"][0]["id"]
    for name, payload in [
        ("topic:place", {"activity_id": aid, "topic_id": topic, "slot_id": slot, "space_id": space}),
        ("topic:unplace", {"activity_id": aid, "topic_id": topic}),
        ("openspace:suggest", {"activity_id": aid}),
        ("openspace:apply_agenda", {"activity_id": aid, "placements": []}),
        ("openspace:set_current_slot", {"activity_id": aid, "slot_id": slot}),
        ("openspace:set_stage", {"activity_id": aid, "stage": "sessions"}),
        ("item:hide", {"activity_id": aid, "item_type": "topic", "item_id": topic, "reason": "x"}),
    ]:
        assert ack(bob, name, payload)["error"]["code"] == "forbidden", name


def test_the_wall_refuses_taken_cells_and_double_booked_conveners(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    a1 = propose(alice, aid, "Housing first")
    a2 = propose(alice, aid, "Data sharing")
    b1 = propose(bob, aid, "Crisis cafés")
    s1, s2 = state["slots"][0]["id"], state["slots"][1]["id"]
    r1, r2 = state["spaces"][0]["id"], state["spaces"][1]["id"]
    place = {"activity_id": aid}

    assert ack(console, "topic:place", {**place, "topic_id": a1, "slot_id": s1, "space_id": r1})["ok"]
    placed = events(screen, "topic:placed")
    assert placed[-1]["placements"] == [{"topic_id": a1, "slot_id": s1, "space_id": r1}]
    taken = ack(console, "topic:place", {**place, "topic_id": b1, "slot_id": s1, "space_id": r1})
    assert taken["error"]["code"] == "cell_taken"
    busy = ack(console, "topic:place", {**place, "topic_id": a2, "slot_id": s1, "space_id": r2})
    assert busy["error"]["code"] == "convener_busy"
    assert ack(console, "topic:place", {**place, "topic_id": a2, "slot_id": s2, "space_id": r2})["ok"]
    # Asked to swap, a1 and a2 trade places (Alice still has one session per slot).
    swap = ack(console, "topic:place", {**place, "topic_id": a2, "slot_id": s1, "space_id": r1, "swap": True})
    assert swap["ok"] and len(swap["data"]["placements"]) == 2
    assert ack(console, "topic:place", {**place, "topic_id": b1, "slot_id": s1, "space_id": r2})["ok"]
    bad_swap = ack(
        console, "topic:place", {**place, "topic_id": b1, "slot_id": s2, "space_id": r2, "swap": True}
    )
    assert bad_swap["error"]["code"] == "convener_busy"  # a1 would land in slot 1, where Alice has a2
    # Unknown cells and other kinds' ids are refused.
    assert (
        ack(console, "topic:place", {**place, "topic_id": a1, "slot_id": 99999, "space_id": r1})["error"][
            "code"
        ]
        == "not_found"
    )

    snap = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    by_id = {t["id"]: (t["slot_id"], t["space_id"]) for t in snap["topics"]}
    cells = [c for c in by_id.values() if c[0] is not None]
    assert len(cells) == len(set(cells))
    conveners = {a1: "alice", a2: "alice", b1: "bob"}
    seen = {(by_id[t][0], who) for t, who in conveners.items() if by_id[t][0] is not None}
    assert len(seen) == len([t for t in conveners if by_id[t][0] is not None])

    # Suggest from interest marks, then accept it; the screen gets one update.
    assert ack(bob, "topic:interest", {"activity_id": aid, "topic_id": a1, "interested": True})["ok"]
    suggestion = ack(console, "openspace:suggest", {"activity_id": aid, "keep_placed": False})["data"]
    assert {p["topic_id"] for p in suggestion["placements"]} == {a1, a2, b1}
    assert not [c for c in suggestion["clashes"] if c["kind"] == "convener"]
    screen.get_received()
    applied = ack(
        console, "openspace:apply_agenda", {"activity_id": aid, "placements": suggestion["placements"]}
    )
    assert applied["ok"] and applied["data"]["placed"] == 3
    assert len(events(screen, "topic:placed")) == 1
    clash = [{"topic_id": a1, "slot_id": s1, "space_id": r1}, {"topic_id": a2, "slot_id": s1, "space_id": r2}]
    assert (
        ack(console, "openspace:apply_agenda", {"activity_id": aid, "placements": clash})["error"]["code"]
        == "convener_busy"
    )
    assert ack(console, "topic:unplace", {"activity_id": aid, "topic_id": a1})["ok"]
    assert events(screen, "topic:placed")[-1]["placements"][0]["slot_id"] is None


def test_checking_in_moves_a_participant_between_sessions(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob, carol), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob", "Carol"
    )
    housing = propose(alice, aid, "Housing first")
    crisis = propose(bob, aid, "Crisis cafés")
    later = propose(bob, aid, "Later topic")
    s1, s2 = state["slots"][0]["id"], state["slots"][1]["id"]
    r1, r2 = state["spaces"][0]["id"], state["spaces"][1]["id"]
    for topic, slot, space in ((housing, s1, r1), (crisis, s1, r2), (later, s2, r1)):
        assert ack(
            console,
            "topic:place",
            {"activity_id": aid, "topic_id": topic, "slot_id": slot, "space_id": space},
        )["ok"]
    assert ack(console, "openspace:set_current_slot", {"activity_id": aid, "slot_id": s1})["ok"]
    assert events(alice, "openspace:grid_changed")[-1]["current_slot_id"] == s1
    screen.get_received()

    assert ack(carol, "openspace:check_in", {"cid": cid(), "activity_id": aid, "topic_id": housing})["ok"]
    assert ack(carol, "openspace:check_in", {"activity_id": aid, "topic_id": crisis})["ok"]  # two feet
    assert (
        ack(carol, "openspace:check_in", {"activity_id": aid, "topic_id": later})["error"]["code"]
        == "not_now"
    )
    time.sleep(0.4)
    counts = events(screen, "openspace:attendance")
    assert counts and counts[-1] == {"activity_id": aid, "counts": {str(crisis): 1}}
    moves = events(console, "openspace:moved")
    assert [(m["from_topic_id"], m["topic_id"]) for m in moves] == [(None, housing), (housing, crisis)]
    assert moves[0]["participant"]["name"] == "Carol"
    assert "openspace:moved" not in names(alice.get_received())

    snap = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    assert {t["id"]: t["attendance"] for t in snap["topics"]} == {housing: 0, crisis: 1, later: 0}
    assert snap["attendees"] == {str(crisis): ["Carol"]}
    mine = ack(carol, "activity:state", {"activity_id": aid})["data"]["state"]["mine"]
    assert mine["checked_in"] == crisis and mine["visited"] == sorted([housing, crisis])
    assert ack(carol, "openspace:check_in", {"activity_id": aid, "topic_id": None})["ok"]
    assert ack(console, "topic:unplace", {"activity_id": aid, "topic_id": later})["ok"]
    assert ack(console, "openspace:set_current_slot", {"activity_id": aid, "slot_id": None})["ok"]
    assert (
        ack(carol, "openspace:check_in", {"activity_id": aid, "topic_id": later})["error"]["code"]
        == "not_scheduled"
    )


def test_reports_are_saved_and_shown_escaped_in_the_proceedings(
    make_workshop, phone, sockets, facilitator, app
):
    ws, aid, (alice, bob, carol), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob", "Carol"
    )
    topic = propose(alice, aid, "<b>Housing</b> first", "<img src=x onerror=alert(1)>")
    s1, r1 = state["slots"][0]["id"], state["spaces"][0]["id"]
    assert ack(
        console, "topic:place", {"activity_id": aid, "topic_id": topic, "slot_id": s1, "space_id": r1}
    )["ok"]
    report = {
        "activity_id": aid,
        "topic_id": topic,
        "notes": "<script>alert('x')</script>",
        "key_points": ["Keys are held by <i>three</i> bodies", "  "],
        "proposed_actions": ['=HYPERLINK("http://evil")', "Pilot a shared list"],
    }
    assert ack(bob, "openspace:report", report)["error"]["code"] == "forbidden"  # never in the session
    assert ack(alice, "openspace:report", {"cid": cid(), **report})["ok"]
    saved = events(screen, "openspace:report_saved")[-1]["report"]
    assert saved["key_points"] == ["Keys are held by <i>three</i> bodies"]
    # Someone who came to the session may add to it.
    assert ack(carol, "openspace:check_in", {"activity_id": aid, "topic_id": topic})["ok"]
    assert ack(carol, "openspace:report", {**report, "notes": "<script>alert('x')</script> and more"})["ok"]

    page = facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/proceedings")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; and more" in html
    assert "<script>alert" not in html and "&lt;b&gt;Housing&lt;/b&gt; first" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "Pilot a shared list" in html

    rows = list(
        csv.reader(
            io.StringIO(
                facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/proceedings.csv").get_data(
                    as_text=True
                )
            )
        )
    )
    assert rows[1][3] == "<b>Housing</b> first"
    assert rows[1][10].startswith("'=HYPERLINK") and all(not c.startswith(("=", "+", "@")) for c in rows[1])
    data = json.loads(facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/proceedings.json").data)
    assert data["sessions"][0]["report"]["proposed_actions"][1] == "Pilot a shared list"
    assert data["sessions"][0]["participants"] == 1
    markdown = facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/proceedings.md").get_data(
        as_text=True
    )
    assert "\\<b\\>Housing\\</b\\> first" in markdown
    # Not for phones or strangers.
    stranger = app.test_client()
    assert stranger.get(f"/workshops/{ws['id']}/open-space/{aid}/proceedings").status_code == 302


def test_hidden_topics_leave_phones_and_screen(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    topic = propose(alice, aid, "Rude topic")
    hide = {"activity_id": aid, "item_type": "topic", "item_id": topic, "reason": "Personal attack"}
    assert ack(console, "item:hide", hide)["ok"]
    assert events(bob, "item:hidden")[0]["item_id"] == topic
    assert ack(bob, "activity:state", {"activity_id": aid})["data"]["state"]["topics"] == []
    assert ack(console, "activity:state", {"activity_id": aid})["data"]["state"]["topics"][0]["is_hidden"]
    result = ack(bob, "topic:interest", {"activity_id": aid, "topic_id": topic, "interested": True})
    assert result["error"]["code"] == "not_found"
    assert ack(console, "item:restore", hide)["ok"]
    assert events(bob, "item:restored")[0]["item"]["title"] == "Rude topic"


def test_nothing_after_close_and_bad_payloads_are_invalid(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice,), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice"
    )
    topic = propose(alice, aid, "Housing first")
    cases = [
        ("topic:propose", {"activity_id": aid, "title": ""}),
        ("topic:propose", {"activity_id": aid, "title": "x" * 121}),
        ("topic:propose", {"activity_id": aid, "title": "ok", "description": "x" * 501}),
        ("topic:propose", {"activity_id": aid, "title": "ok", "convener_id": 1}),
        ("topic:interest", {"activity_id": aid, "topic_id": topic}),
        ("topic:interest", {"activity_id": aid, "topic_id": "one", "interested": True}),
        ("openspace:check_in", {"activity_id": aid, "topic_id": -1}),
        ("openspace:report", {"activity_id": aid, "topic_id": topic, "key_points": ["x" * 301]}),
        ("openspace:report", {"activity_id": aid, "topic_id": topic, "proposed_actions": ["a"] * 13}),
        ("openspace:report", {"activity_id": aid, "topic_id": topic, "notes": "x" * 4001}),
    ]
    for name, payload in cases:
        result = alice.emit(name, payload, callback=True)
        assert result["ok"] is False and result["error"]["code"] == "invalid", (name, payload, result)
    bad_wall = ack(
        console, "openspace:apply_agenda", {"activity_id": aid, "placements": [{"topic_id": topic}]}
    )
    assert bad_wall["error"]["code"] == "invalid"
    assert (
        ack(console, "openspace:set_stage", {"activity_id": aid, "stage": "party"})["error"]["code"]
        == "invalid"
    )

    assert ack(console, "activity:set_phase", {"activity_id": aid, "phase": "closed"})["ok"]
    assert (
        ack(alice, "topic:propose", {"activity_id": aid, "title": "Late"})["error"]["code"]
        == "activity_closed"
    )
    assert (
        ack(alice, "topic:interest", {"activity_id": aid, "topic_id": topic, "interested": True})["error"][
            "code"
        ]
        == "activity_closed"
    )


# The shared activity form's SelectField warns on this wtforms version (not this kind's doing).
def test_settings_define_spaces_and_slots(make_workshop, phone, sockets, facilitator, app):
    ws, aid, (alice,), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice"
    )
    topic = propose(alice, aid, "Housing first")
    first_space = state["spaces"][0]["id"]
    assert ack(
        console,
        "topic:place",
        {"activity_id": aid, "topic_id": topic, "slot_id": state["slots"][0]["id"], "space_id": first_space},
    )["ok"]
    url = f"/workshops/{ws['id']}/activities/{aid}"
    page = facilitator.get(url).get_data(as_text=True)
    assert 'name="space_name" value="Space A"' in page and 'name="slot_label" value="Session 3"' in page
    form = {
        "title": "Open Space",
        "prompt": "What must we do together?",
        "visibility": "named",
        "space_id": ["", str(state["spaces"][1]["id"])],
        "space_name": ["Atrium", "Library"],
        "space_capacity": ["60", "12"],
        "slot_id": [str(state["slots"][0]["id"]), ""],
        "slot_label": ["Morning", "Afternoon"],
        "slot_starts_at": ["10:00", "14:00"],
        "slot_ends_at": ["11:00", "15:00"],
    }
    assert facilitator.post(url, data=form).status_code == 302
    snap = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    assert [(s["name"], s["capacity"]) for s in snap["spaces"]] == [("Atrium", 60), ("Library", 12)]
    assert [s["label"] for s in snap["slots"]] == ["Morning", "Afternoon"]
    assert snap["slots"][0]["id"] == state["slots"][0]["id"]
    assert snap["topics"][0]["slot_id"] is None  # its space went away
    grid = events(alice, "openspace:grid_changed")
    assert grid and [s["name"] for s in grid[-1]["spaces"]] == ["Atrium", "Library"]
    bad = {**form, "space_capacity": ["lots", "12"]}
    assert "capacity" in facilitator.post(url, data=bad).get_data(as_text=True)
