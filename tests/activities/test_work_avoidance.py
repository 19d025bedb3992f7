"""Work-avoidance checklist over the live protocol: anonymous ratings, coalesced aggregates, examples."""

from __future__ import annotations

import json
import re
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
    # Before the reveal the big screen learns only how many have answered.
    assert pushes[-1]["respondents"] == 3 and pushes[-1]["revealed"] is False
    assert pushes[-1]["aggregates"] == [] and pushes[-1]["top"] == []
    latest = received(room["console"], "wa:results")[-1]
    assert latest["activity_id"] == aid and latest["respondents"] == 3
    meetings = row(latest, "meetings_without_decisions")
    assert meetings["n"] == 3 and meetings["suppressed"] is False
    assert meetings["distribution"] == [1, 0, 1, 1, 0]
    assert meetings["mean"] == pytest.approx(5 / 3, abs=0.01)
    assert meetings["share_often"] == pytest.approx(1 / 3, abs=0.001)
    assert latest["top"][0]["key"] == "meetings_without_decisions"
    assert latest["top"][0]["counter_moves"]
    assert ack(room["console"], "wa:reveal", {"activity_id": aid, "revealed": True})["ok"]
    settle()
    assert received(room["screen"], "wa:results")[-1] == {**latest, "revealed": True}
    for client in (alice, bob, carol):
        names = {m["name"] for m in client.get_received()}
        assert not names & {"wa:results", "wa:examples"}, names


def test_distribution_is_withheld_below_three_answers(room):
    aid = room["activity_id"]
    alice, bob, carol = room["phones"]
    rate(alice, aid, "scapegoating", 4)
    rate(bob, aid, "scapegoating", 0)
    state = ack(room["console"], "sync", {})["data"]["snapshot"]["staged"]["state"]
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
    assert received(room["screen"], "wa:examples")[-1]["examples"] == []  # not before the reveal
    pushed = received(room["console"], "wa:examples")[-1]["examples"]
    assert [e["text"] for e in pushed] == [hostile, "A 120-page plan"]
    assert ack(room["console"], "wa:reveal", {"activity_id": aid, "revealed": True})["ok"]
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


# Reveal, picks, groups, flags, the checklist library, change over time, CSV -------------------------


def staged_state(client: Any) -> dict[str, Any]:
    return ack(client, "sync", {})["data"]["snapshot"]["staged"]["state"]


def test_results_stay_off_the_big_screen_until_the_facilitator_reveals_them(room):
    aid = room["activity_id"]
    alice, bob, carol = room["phones"]
    for client, r in ((alice, 4), (bob, 3), (carol, 3)):
        rate(client, aid, "denial", r)
    hidden = staged_state(room["screen"])
    assert hidden["results"]["respondents"] == 3 and hidden["results"]["aggregates"] == []
    assert hidden["examples"] == [] and hidden["results"]["revealed"] is False
    assert row(staged_state(room["console"])["results"], "denial")["n"] == 3  # the console sees them
    # Only a facilitator can reveal.
    refused = ack(alice, "wa:reveal", {"activity_id": aid, "revealed": True})
    assert refused["error"]["code"] == "forbidden"
    revealed = ack(room["console"], "wa:reveal", {"activity_id": aid, "revealed": True})
    assert revealed["data"] == {"revealed": True}
    events = [m for m in room["screen"].get_received() if m["name"] == "wa:revealed"]
    assert events and events[0]["args"][0]["data"] == {"activity_id": aid, "revealed": True}
    assert isinstance(events[0]["args"][0]["seq"], int)  # part of the record: a sleeping screen catches up
    shown = staged_state(room["screen"])["results"]
    assert row(shown, "denial")["distribution"] == [0, 0, 0, 2, 1]
    # Still a phone sees only its own answers, even after the reveal.
    assert "results" not in ack(bob, "activity:state", {"activity_id": aid})["data"]["state"]
    assert ack(room["console"], "wa:reveal", {"activity_id": aid, "revealed": False})["ok"]
    assert staged_state(room["screen"])["results"]["aggregates"] == []


def test_phones_pick_what_to_tackle_and_the_screen_ranks_it_after_reveal(room):
    aid = room["activity_id"]
    alice, bob, carol = room["phones"]
    picks = {"activity_id": aid}
    assert ack(alice, "wa:pick", {**picks, "form_keys": ["meetings_without_decisions", "denial"]})["ok"]
    assert ack(bob, "wa:pick", {**picks, "form_keys": ["denial"]})["ok"]
    assert ack(carol, "wa:pick", {**picks, "form_keys": ["papers_not_action"]})["ok"]
    # Carol changes her mind; the change replaces her choice.
    assert ack(carol, "wa:pick", {**picks, "form_keys": ["denial", "papers_not_action"]})["ok"]
    three = alice.emit("wa:pick", {**picks, "form_keys": ["denial", "quick_fix", "scapegoating"]},
                       callback=True)
    assert three["error"]["code"] == "invalid"
    assert ack(alice, "wa:pick", {**picks, "form_keys": ["nope"]})["error"]["code"] == "unknown_form"
    assert staged_state(carol)["my_picks"] == ["denial", "papers_not_action"]
    assert ack(room["console"], "wa:reveal", {"activity_id": aid, "revealed": True})["ok"]
    priorities = staged_state(room["screen"])["results"]["priorities"]
    assert priorities["pickers"] == 3
    ranking = [(p["key"], p["count"], p["rank"]) for p in priorities["ranking"]]
    assert ranking[0] == ("denial", 3, 1)
    assert {k for k, _, _ in ranking} == {"denial", "meetings_without_decisions", "papers_not_action"}
    assert priorities["ranking"][0]["counter_moves"]  # the counter-moves to discuss
    assert ack(room["console"], "activity:set_phase", {"activity_id": aid, "phase": "closed"})["ok"]
    late = ack(bob, "wa:pick", {**picks, "form_keys": ["quick_fix"]})
    assert late["error"]["code"] == "activity_closed"


def seed(app: Any, workshop_id: int, activity_id: int, people: list[tuple[str, str, dict[str, int]]]) -> None:
    """Participants answering through the service, as their phones would."""
    from facilitator.activities.work_avoidance import services
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity, Participant

    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        for i, (sector, organisation, ratings) in enumerate(people):
            person = Participant(workshop_id=workshop_id, display_name=f"Person {i}", sector=sector,
                                 organisation=organisation)
            db.session.add(person)
            db.session.commit()
            for key, value in ratings.items():
                services.rate_form(activity, key, value, by=person)


def test_groups_split_by_sector_only_from_five_answers_and_say_where_they_differ(app, make_workshop):
    from facilitator.activities import get_kind
    from facilitator.activities.work_avoidance import services
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    key = "meetings_without_decisions"
    people = ([("NHS", "North Vale Trust", {key: 4})] * 5 + [("Housing", "Vale Homes", {key: 0})] * 5
              + [("Police", "Vale Police", {key: 2})] * 2 + [("Fire", "Vale Fire", {key: 3})] * 3)
    seed(app, ws["id"], aid, people)
    with app.app_context():
        activity = db.session.get(Activity, aid)
        groups = services.results(activity)["groups"]
        exported = get_kind(KIND).export(activity)
        csv_text = services.export_csv(activity)
    meetings = next(f for f in groups["forms"] if f["key"] == key)
    assert {g["label"]: g["n"] for g in meetings["groups"]} == {"Housing": 5, "NHS": 5, "Other groups": 5}
    assert meetings["gap"] == 4.0 and groups["differ_most"][0]["key"] == key
    assert "NHS" in groups["findings"][0] and "Housing" in groups["findings"][0]
    text = json.dumps([groups, exported["groups"]]) + csv_text
    for small in ("Police", "Fire"):
        assert small not in text  # groups under the threshold are pooled, never named
    assert "Person 1" not in text and "participant" not in text
    # A higher threshold pools everybody: no group is named at all.
    with app.app_context():
        activity = db.session.get(Activity, aid)
        activity.config = {**activity.config, "group_min": 6}
        db.session.commit()
        meetings = next(f for f in services.results(activity)["groups"]["forms"] if f["key"] == key)
    assert [g["label"] for g in meetings["groups"]] == ["Other groups"] and meetings["gap"] is None


def test_flags_from_any_activity_reach_the_console_anonymously(app, make_workshop, phone, sockets,
                                                               facilitator):
    ws = make_workshop(activities=("check_in", KIND))
    check_in, checklist_id = ws["activities"]
    browser = phone(ws["code"], "Zoltan Quibble", sector="Housing")
    alice = sockets(browser, ws["id"])
    console = sockets(facilitator, ws["id"], role="facilitator")
    screen = sockets(facilitator, ws["id"], role="screen")
    for c in (alice, console, screen):
        c.get_received()
    payload = {"cid": cid(), "form_key": "meetings_without_decisions"}
    assert ack(alice, "wa:flag", payload)["data"] == {"flagged": True}
    assert ack(alice, "wa:flag", payload).get("duplicate")  # the same command id counts once
    assert ack(alice, "wa:flag", {"form_key": ""})["ok"]  # "not sure which"
    assert ack(alice, "wa:flag", {"form_key": "no_such_form"})["error"]["code"] == "unknown_form"
    assert ack(console, "wa:flag", {"form_key": ""})["error"]["code"] == "forbidden"
    flagged = [m["args"][0]["data"] for m in console.get_received() if m["name"] == "wa:flagged"]
    assert [f["form_name"] for f in flagged] == ["Meetings that decide nothing", ""]
    assert all(f["activity_id"] == check_in for f in flagged)
    assert "wa:flagged" not in {m["name"] for m in alice.get_received() + screen.get_received()}
    # Over HTTP too (flag.js): the checklist activity is now on stage.
    assert ack(console, "activity:stage", {"activity_id": checklist_id})["ok"]
    forms = browser.get(f"/wa/{ws['id']}/flag").get_json()["data"]["forms"]
    assert forms[0]["key"] == "quick_fix"
    http_cid = cid()
    for _attempt in range(2):
        sent = browser.post(f"/wa/{ws['id']}/flag", json={"cid": http_cid, "form_key": "denial"})
        assert sent.status_code == 200 and sent.get_json()["ok"]
    assert facilitator.post(f"/wa/{ws['id']}/flag", json={"form_key": ""}).status_code == 403
    timeline = ack(console, "wa:flags", {})["data"]
    assert timeline["total"] == 3
    segments = [(s["activity_id"], len(s["flags"])) for s in timeline["segments"]]
    assert segments == [(check_in, 2), (checklist_id, 1)]
    assert {a["id"]: a["flags"] for a in timeline["agenda"]} == {check_in: 2, checklist_id: 1}
    text = json.dumps(timeline) + facilitator.get(f"/workshops/{ws['id']}/flags").get_data(as_text=True)
    assert "Zoltan" not in text and "Housing" not in text and "participant" not in text
    assert "Meetings that decide nothing" in text
    # A participant cannot flood the console.
    codes = [ack(alice, "wa:flag", {"form_key": "denial"})["ok"] for _ in range(6)]
    assert codes.count(True) == 3 and ack(alice, "wa:flag", {})["error"]["code"] == "rate_limited"


def test_a_checklist_from_the_library_is_copied_so_later_edits_change_no_results(app, make_workshop,
                                                                                   facilitator):
    from facilitator.activities import get_kind
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity
    from tests.conftest import login, make_account

    made = facilitator.post("/checklists/clone", data={"source": "builtin"})
    assert made.status_code == 302
    edit_url = made.headers["Location"]
    page = facilitator.get(edit_url).get_data(as_text=True)
    assert "Meetings that decide nothing" in page and 'name="csrf_token"' in page
    count = int(re.search(r'name="count" value="(\d+)"', page).group(1))
    data = {"name": "Our council's list", "description": "", "count": str(count)}
    from facilitator.analysis.checklist import DEFAULT_FORMS

    for i, form in enumerate(DEFAULT_FORMS):
        data |= {f"f-{i}-key": form["key"], f"f-{i}-name": form["name"], f"f-{i}-prompt": form["prompt"],
                 f"f-{i}-moves": "\n".join(form["counter_moves"])}
        if i >= 3:
            data[f"f-{i}-remove"] = "1"
    data |= {"f-0-name": "Reaching for a <b>quick</b> fix", "f-new-name": "Waiting for a new boss",
             "f-new-prompt": "How often do we wait for a new leader?",
             "f-new-moves": "Start anyway\n\nAsk why"}
    assert facilitator.post(edit_url, data=data).status_code == 302
    checklist_id = int(edit_url.rstrip("/").split("/")[-1])
    from facilitator.activities.work_avoidance.models import Checklist

    with app.app_context():
        saved = db.session.get(Checklist, checklist_id)
        assert [f["key"] for f in saved.forms] == ["quick_fix", "fit_expertise", "denial",
                                                   "waiting_for_a_new_boss"]
        assert saved.forms[0]["name"] == "Reaching for a <b>quick</b> fix"
        assert saved.forms[3]["counter_moves"] == ["Start anyway", "Ask why"]
    assert "&lt;b&gt;quick" in facilitator.get(edit_url).get_data(as_text=True)

    # Pick it for a workshop's checklist, run it, close it.
    ws = make_workshop(activities=(KIND,), open_first=False, stage_first=False)
    aid = ws["activities"][0]
    settings = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}").get_data(as_text=True)
    assert "Our council&#39;s list" in settings
    response = facilitator.post(f"/workshops/{ws['id']}/activities/{aid}", data={
        "title": "Our patterns", "prompt": "How present?", "visibility": "anonymous",
        "wa_checklist": str(checklist_id)})
    assert response.status_code == 302
    from facilitator.workshops import services as workshop_services
    from facilitator.workshops.models import ActivityPhase

    with app.app_context():
        activity = db.session.get(Activity, aid)
        assert activity.config["checklist"]["ref"] == str(checklist_id)
        assert [f["key"] for f in activity.config["forms"]][-1] == "waiting_for_a_new_boss"
        workshop_services.set_activity_phase(activity, ActivityPhase.OPEN, by=None)
    seed(app, ws["id"], aid, [("", "", {"quick_fix": 3, "waiting_for_a_new_boss": 4})] * 3)
    with app.app_context():
        activity = db.session.get(Activity, aid)
        workshop_services.set_activity_phase(activity, ActivityPhase.CLOSED, by=None)
        before = get_kind(KIND).export(activity)
    # Edit the library checklist afterwards: reword, remove, add.
    data |= {"f-0-name": "Quick fixes everywhere", "f-1-remove": "1", "f-new-name": "Something new"}
    assert facilitator.post(edit_url, data=data).status_code == 302
    assert facilitator.post(f"/checklists/{checklist_id}/delete").status_code == 302
    with app.app_context():
        after = get_kind(KIND).export(db.session.get(Activity, aid))
    assert after["aggregates"] == before["aggregates"] and after["forms"] == before["forms"]
    assert after["aggregates"][0]["name"] == "Reaching for a <b>quick</b> fix"
    # Another facilitator never sees someone else's checklist.
    make_account(app, "other@example.org", "Olu Other")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get("/checklists/1").status_code == 404
    assert "Our council" not in other.get("/checklists").get_data(as_text=True)


def test_over_time_shows_the_change_per_form_between_workshops(app, make_workshop, facilitator):
    runs = []
    for title, rating in (("Spring summit", 4), ("Autumn summit", 1)):
        ws = make_workshop(title=title, activities=(KIND,))
        answers = {"meetings_without_decisions": rating, "denial": 2}
        seed(app, ws["id"], ws["activities"][0], [("", "", answers)] * 3)
        runs.append(ws)
    page = facilitator.get("/checklists/builtin/over-time").get_data(as_text=True)
    assert page.index("Spring summit") < page.index("Autumn summit")
    row_html = page[page.index("Meetings that decide nothing"):].split("</tr>")[0]
    assert "4.0" in row_html and "1.0" in row_html and "3.0 less" in row_html
    assert facilitator.get("/checklists/999/over-time").status_code == 404


def test_csv_export_holds_aggregates_only(app, make_workshop, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    seed(app, ws["id"], aid, [("NHS", "=HYPERLINK(\"x\")", {"denial": 3})] * 5
         + [("Police", "", {"denial": 1})] + [("Housing", "", {"denial": 2})] * 5)
    response = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/work-avoidance.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("section,form_key,form,group,n,skipped,withheld,Not at all,")
    denial = next(line for line in lines if line.startswith("form,denial,"))
    assert ",11,0,False,0,1,5,5,0," in denial
    assert "group:sector,denial,Not naming the problem,NHS,5" in text
    assert "group:sector,denial,Not naming the problem,Other groups,6" in text  # Housing pooled with Police
    assert "Police" not in text and "Person" not in text and "HYPERLINK" not in text
    missing = facilitator.get(f"/workshops/{ws['id']}/activities/{aid + 99}/work-avoidance.csv")
    assert missing.status_code == 404
