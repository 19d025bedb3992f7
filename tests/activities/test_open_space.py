"""Open Space through the live protocol: marketplace, agenda wall, the law of two feet, reports."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid

import pytest

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


# --------------------------------------------------------------------------- issue 4: the rest of the cycle


def place_all(console, aid, state, *topic_ids):
    cells = [(sl["id"], sp["id"]) for sl in state["slots"] for sp in state["spaces"]]
    for topic, (slot, space) in zip(topic_ids, cells, strict=False):
        assert ack(
            console,
            "topic:place",
            {"activity_id": aid, "topic_id": topic, "slot_id": slot, "space_id": space},
        )["ok"]


def test_merging_a_duplicate_carries_interest_report_and_checkins(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob, carol), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob", "Carol"
    )
    keep = propose(alice, aid, "Housing first")
    dup = propose(bob, aid, "Housing First!", "Homes before treatment")
    assert ack(carol, "topic:interest", {"activity_id": aid, "topic_id": dup, "interested": True})["ok"]
    place_all(console, aid, state, dup)
    assert ack(carol, "openspace:check_in", {"activity_id": aid, "topic_id": dup})["ok"]
    report = {
        "activity_id": aid,
        "topic_id": dup,
        "notes": "n",
        "key_points": ["k"],
        "proposed_actions": ["Act"],
    }
    assert ack(bob, "openspace:report", report)["ok"]
    assert (
        ack(bob, "topic:merge", {"activity_id": aid, "topic_id": dup, "into_id": keep})["error"]["code"]
        == "forbidden"
    )
    merged = ack(console, "topic:merge", {"activity_id": aid, "topic_id": dup, "into_id": keep})
    assert merged["ok"], merged
    event = events(screen, "topic:merged")[-1]
    assert event["from_id"] == dup and event["into_id"] == keep
    assert event["topic"]["interest_count"] == 2  # Carol, and Bob who convened the duplicate
    assert event["report"]["proposed_actions"] == ["Act"]
    snap = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    (topic,) = snap["topics"]
    assert topic["id"] == keep and topic["attendance"] == 1 and topic["slot_id"] is not None
    assert "Homes before treatment" in topic["description"]
    mine = ack(carol, "activity:state", {"activity_id": aid})["data"]["state"]["mine"]
    assert mine["checked_in"] == keep and mine["interested"] == [keep]


def test_report_took_part_is_prefilled_from_checkins_and_editable(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    topic = propose(alice, aid, "Crisis cafés")
    place_all(console, aid, state, topic)
    assert ack(bob, "openspace:check_in", {"activity_id": aid, "topic_id": topic})["ok"]
    draft = ack(alice, "openspace:report_draft", {"activity_id": aid, "topic_id": topic})["data"]
    assert draft["took_part"] == ["Alice", "Bob"]
    base = {"activity_id": aid, "topic_id": topic, "notes": "", "key_points": [], "proposed_actions": []}
    assert ack(alice, "openspace:report", base)["ok"]
    assert events(screen, "openspace:report_saved")[-1]["report"]["took_part"] == ["Alice", "Bob"]
    assert ack(alice, "openspace:report", {**base, "took_part": ["Alice", "Dr Sam (guest)"]})["ok"]
    assert events(screen, "openspace:report_saved")[-1]["report"]["took_part"] == ["Alice", "Dr Sam (guest)"]
    # A facilitator can edit the report too.
    assert ack(console, "openspace:report", {**base, "notes": "Tidied by the facilitator"})["ok"]
    assert events(screen, "openspace:report_saved")[-1]["report"]["notes"] == "Tidied by the facilitator"


def convergence_room(make_workshop, phone, sockets, facilitator, *people):
    ws, aid, phones, console, screen, state = setup_room(make_workshop, phone, sockets, facilitator, *people)
    alice = phones[0]
    topic = propose(alice, aid, "Crisis cafés")
    place_all(console, aid, state, topic)
    actions = [
        "Pilot a joint crisis line",
        "Share one crisis plan",
        "Open a café in Riverside",
        "Train peers",
    ]
    assert ack(
        alice, "openspace:report", {"activity_id": aid, "topic_id": topic, "proposed_actions": actions}
    )["ok"]
    return ws, aid, phones, console, screen, topic


def test_dot_votes_enforce_the_limit_and_refuse_double_votes(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice, bob), console, screen, topic = convergence_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    snap = ack(bob, "activity:state", {"activity_id": aid})["data"]["state"]
    ids = [a["id"] for a in snap["actions"]]
    assert len(ids) == 4 and snap["votes_each"] == 3 and "ranking" not in snap
    early = ack(bob, "action:vote", {"activity_id": aid, "action_id": ids[0]})
    assert early["error"]["code"] == "not_voting"
    assert ack(console, "openspace:set_stage", {"activity_id": aid, "stage": "convergence"})["ok"]
    first = ack(bob, "action:vote", {"cid": cid(), "activity_id": aid, "action_id": ids[0]})
    assert first["ok"] and first["data"]["left"] == 2
    assert (
        ack(bob, "action:vote", {"activity_id": aid, "action_id": ids[0]})["error"]["code"] == "already_voted"
    )
    assert ack(bob, "action:vote", {"activity_id": aid, "action_id": ids[1]})["ok"]
    assert ack(bob, "action:vote", {"activity_id": aid, "action_id": ids[2]})["data"]["left"] == 0
    assert (
        ack(bob, "action:vote", {"activity_id": aid, "action_id": ids[3]})["error"]["code"] == "no_votes_left"
    )
    assert ack(bob, "action:unvote", {"activity_id": aid, "action_id": ids[2]})["data"]["left"] == 1
    assert ack(bob, "action:vote", {"activity_id": aid, "action_id": ids[3]})["ok"]
    assert ack(alice, "action:vote", {"activity_id": aid, "action_id": ids[3]})["ok"]
    bad = ack(bob, "action:vote", {"activity_id": aid, "action_id": f"{topic}-000000000000"})
    assert bad["error"]["code"] == "not_found"
    assert (
        ack(bob, "action:vote", {"activity_id": aid, "action_id": "<script>"})["error"]["code"] == "invalid"
    )
    assert (
        ack(console, "action:vote", {"activity_id": aid, "action_id": ids[0]})["error"]["code"] == "forbidden"
    )
    mine = ack(bob, "activity:state", {"activity_id": aid})["data"]["state"]["mine"]["votes"]
    assert sorted(mine) == sorted([ids[0], ids[1], ids[3]])

    time.sleep(0.4)  # the tally is coalesced
    tally = events(screen, "openspace:ranking")[-1]
    assert "ranking" not in tally and tally["votes_cast"] == 4  # the screen sees totals, not the ranking
    staff_tally = [e for e in events(console, "openspace:ranking") if "ranking" in e]
    assert staff_tally[-1]["ranking"][0]["id"] == ids[3]  # facilitators see the live ranking
    assert (
        ack(bob, "openspace:reveal", {"activity_id": aid, "revealed": True})["error"]["code"] == "forbidden"
    )
    assert ack(console, "openspace:reveal", {"activity_id": aid, "revealed": True})["ok"]
    shown = events(screen, "openspace:revealed")[-1]
    assert shown["revealed"] and [(a["id"], a["votes"]) for a in shown["ranking"][:1]] == [(ids[3], 2)]
    assert ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]["ranking"][0]["votes"] == 2


def test_top_actions_become_commitment_tree_branches(make_workshop, phone, sockets, facilitator, app):
    ws, aid, (alice,), console, screen, topic = convergence_room(
        make_workshop, phone, sockets, facilitator, "Alice"
    )
    facilitator.post(
        f"/workshops/{ws['id']}/activities", data={"kind": "commitment_tree", "title": "", "prompt": "x"}
    )
    snap = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    (tree,) = snap["trees"]
    ids = [a["id"] for a in snap["actions"]][:2]
    payload = {"activity_id": aid, "tree_activity_id": tree["id"], "action_ids": ids}
    assert ack(alice, "openspace:to_tree", payload)["error"]["code"] == "forbidden"
    result = ack(console, "openspace:to_tree", payload)
    assert result["ok"] and result["data"]["added"] == ["Pilot a joint crisis line", "Share one crisis plan"]
    updated = events(screen, "activity:updated")[-1]
    assert [b["label"] for b in updated["config"]["branches"]] == result["data"]["added"]
    assert ack(console, "openspace:to_tree", payload)["data"]["added"] == []  # already there: no duplicates
    wrong = ack(console, "openspace:to_tree", {**payload, "tree_activity_id": aid})
    assert wrong["error"]["code"] == "not_found"


def jpeg_with_exif(width: int = 3000, height: int = 1000, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "GPS-leaking firmware"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes()) if fmt != "PNG" else image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_flip_chart_photos_are_checked_resized_stripped_and_private(
    make_workshop, phone, sockets, facilitator, app, tmp_path
):
    from PIL import Image

    app.config["OPEN_SPACE_PHOTO_DIR"] = str(tmp_path / "photos")
    ws = make_workshop(activities=("open_space",))
    aid = ws["activities"][0]
    alice_http, bob_http = phone(ws["code"], "Alice"), phone(ws["code"], "Bob")
    alice = sockets(alice_http, ws["id"])
    topic = propose(alice, aid, "Crisis cafés")
    url = f"/open-space/{aid}/topics/{topic}/photos"
    assert bob_http.get(url).status_code == 403  # never in the session
    assert alice_http.get(url).status_code == 200

    def upload(client, data: bytes, name: str = "chart.jpg"):
        return client.post(url, data={"photo": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    assert upload(alice_http, jpeg_with_exif()).status_code == 302
    for bad in (b"GIF89a not really", b"<svg xmlns='http://www.w3.org/2000/svg'/>"):
        upload(alice_http, bad)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    upload(alice_http, gif.getvalue(), "a.gif")
    assert upload(alice_http, jpeg_with_exif(500, 400, "PNG"), "b.png").status_code == 302
    snap = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    shots = snap["photos"][str(topic)]
    assert len(shots) == 2  # the GIF and the fakes were refused
    from facilitator.activities.open_space.photos import reencode
    from facilitator.errors import DomainError

    with pytest.raises(DomainError) as refused:
        reencode(b"\xff\xd8" + b"x" * (8 * 1024 * 1024))
    assert refused.value.code == "too_large"
    assert (shots[0]["width"], shots[0]["height"]) == (1600, 533)
    body = alice_http.get(shots[0]["url"])
    assert body.status_code == 200 and body.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(body.data)) as image:
        assert image.format == "JPEG" and max(image.size) <= 1600 and not image.getexif()
    assert b"SecretCam" not in body.data
    # Participants and facilitators of the workshop see it; strangers and other workshops' phones do not.
    assert bob_http.get(shots[0]["url"]).status_code == 200
    assert facilitator.get(shots[0]["url"]).status_code == 200
    assert app.test_client().get(shots[0]["url"]).status_code == 404
    other = make_workshop(title="Elsewhere", activities=("open_space",))
    assert phone(other["code"], "Eve").get(shots[0]["url"]).status_code == 404
    stored = sorted(p.name for p in (tmp_path / "photos").glob("*.jpg"))
    assert len(stored) == 2 and all(len(name) == 36 for name in stored)  # random names, nothing else kept
    # The facilitator can remove one.
    assert facilitator.post(url, data={"remove": str(shots[1]["id"])}).status_code == 302
    assert len(ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]["photos"][str(topic)]) == 1


def test_qr_check_in_asks_on_get_and_checks_in_on_post(make_workshop, phone, sockets, facilitator, app):
    ws, aid, (alice,), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice"
    )
    topic = propose(alice, aid, "Crisis cafés")
    place_all(console, aid, state, topic)
    sheets = facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/qr-sheets").get_data(as_text=True)
    assert sheets.count("<svg") == len(state["spaces"]) + 1 and "Crisis cafés" in sheets
    assert f"/j/{ws['code']}/open-space/{aid}/check-in/{topic}" in sheets
    carol_http = phone(ws["code"], "Carol")
    carol = sockets(carol_http, ws["id"])
    link = f"/j/{ws['code']}/open-space/{aid}/check-in/{topic}"
    page = carol_http.get(link)
    assert page.status_code == 200 and "Check me in here" in page.get_data(as_text=True)
    assert ack(carol, "activity:state", {"activity_id": aid})["data"]["state"]["mine"]["checked_in"] is None
    done = carol_http.post(link)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/j/{ws['code']}/live")
    assert ack(carol, "activity:state", {"activity_id": aid})["data"]["state"]["mine"]["checked_in"] == topic
    space_page = carol_http.get(f"/j/{ws['code']}/open-space/{aid}/space/{state['spaces'][0]['id']}")
    assert "Crisis cafés" in space_page.get_data(as_text=True)
    # Not joined: sent to the join page; strangers cannot print the sheets.
    assert app.test_client().get(link).status_code == 302
    assert app.test_client().get(f"/workshops/{ws['id']}/open-space/{aid}/qr-sheets").status_code == 302


def test_qr_check_in_post_needs_the_csrf_token(make_workshop, phone, app):
    ws = make_workshop(activities=("open_space",))
    browser = phone(ws["code"], "Dan")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = browser.post(f"/j/{ws['code']}/open-space/{ws['activities'][0]}/check-in/1")
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_my_agenda_ics_lists_my_sessions_for_me_only(make_workshop, phone, sockets, facilitator, app):
    ws, aid, (alice, bob), console, screen, state = setup_room(
        make_workshop, phone, sockets, facilitator, "Alice", "Bob"
    )
    mine = propose(alice, aid, "Crisis cafés; night, and day")
    other = propose(bob, aid, "Not for Alice")
    place_all(console, aid, state, mine, other)
    alice_http = phone(ws["code"], "Alice 2")
    sio = sockets(alice_http, ws["id"])
    assert ack(sio, "topic:interest", {"activity_id": aid, "topic_id": other, "interested": True})["ok"]
    ics = alice_http.get(f"/j/{ws['code']}/open-space/{aid}/my-agenda.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    text = ics.get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:Not for Alice" in text and "DTSTART:" in text and "T100000" in text
    assert app.test_client().get(f"/j/{ws['code']}/open-space/{aid}/my-agenda.ics").status_code == 403


def test_actions_csv_and_markdown_list_actions_with_votes(make_workshop, phone, sockets, facilitator):
    ws, aid, (alice,), console, screen, topic = convergence_room(
        make_workshop, phone, sockets, facilitator, "Alice"
    )
    assert ack(console, "openspace:set_stage", {"activity_id": aid, "stage": "convergence"})["ok"]
    ids = [a["id"] for a in ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]["actions"]]
    assert ack(alice, "action:vote", {"activity_id": aid, "action_id": ids[2]})["ok"]
    rows = list(
        csv.reader(
            io.StringIO(
                facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/actions.csv").get_data(as_text=True)
            )
        )
    )
    assert rows[0][:3] == ["Rank", "Action", "Votes"]
    assert rows[1][1:4] == ["Open a café in Riverside", "1", "Crisis cafés"] and len(rows) == 5
    md = facilitator.get(f"/workshops/{ws['id']}/open-space/{aid}/proceedings.md").get_data(as_text=True)
    assert "Took part: Alice" in md and "- Pilot a joint crisis line" in md


def test_conveners_are_reminded_ten_minutes_before_the_end():
    from datetime import datetime

    from facilitator.activities.open_space.models import Slot, Topic
    from facilitator.activities.open_space.services import minutes_of, reminder_for

    slots = [
        Slot(id=1, label="S1", starts_at="10:00", ends_at="10:45"),
        Slot(id=2, label="S2", starts_at="11.00", ends_at="11h45"),
    ]
    topics = [Topic(id=7, slot_id=1, title="A"), Topic(id=8, slot_id=2, title="B")]
    at = lambda hh, mm: datetime(2026, 12, 3, hh, mm)  # noqa: E731
    assert reminder_for(slots, topics, at(10, 30)) is None
    assert reminder_for(slots, topics, at(10, 35)) == {"topic_id": 7, "ends_at": "10:45", "minutes_left": 10}
    assert reminder_for(slots, topics, at(10, 44))["minutes_left"] == 1
    assert reminder_for(slots, topics, at(10, 45)) is None
    assert reminder_for(slots, topics, at(11, 40))["topic_id"] == 8
    assert minutes_of("late morning") is None and minutes_of("25:00") is None


def test_demo_seed_runs_a_full_open_space(app):
    from sqlalchemy import select

    from facilitator.activities.open_space.models import Report, Topic
    from facilitator.demo import create_demo
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    with app.app_context():
        workshop, _password = create_demo("demo@example.org", "demo password 123")
        activity = db.session.scalars(
            select(Activity).where(Activity.workshop_id == workshop.id, Activity.kind == "open_space")
        ).one()
        topics = db.session.scalars(select(Topic).where(Topic.activity_id == activity.id)).all()
        assert len(topics) == 6 and all(t.slot_id for t in topics)
        assert db.session.scalars(select(Report).where(Report.activity_id == activity.id)).all()
        assert activity.config["stage"] == "sessions"
