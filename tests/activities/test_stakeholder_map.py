"""Stakeholder map: phones build the network, the screen sees it, facilitators curate and export it."""

from __future__ import annotations

import csv
import io
import time
import uuid

import networkx as nx

from tests.conftest import ack

KIND = "stakeholder_map"
HOSTILE = "<script>alert(1)</script>"


def cid() -> str:
    return uuid.uuid4().hex


def events(client, name):
    """Payloads of the named event received so far (since the last ``clear``)."""
    client.seen = [*getattr(client, "seen", []), *client.get_received()]
    return [m["args"][0]["data"] for m in client.seen if m["name"] == name]


def clear(client):
    client.get_received()
    client.seen = []


def setup_map(make_workshop, phone, sockets, facilitator, **kw):
    ws = make_workshop(activities=(KIND,), **kw)
    aid = ws["activities"][0]
    alice = sockets(
        phone(ws["code"], "Alice", organisation="NHS Trust", sector="NHS and health care"), ws["id"]
    )
    bob = sockets(phone(ws["code"], "Bob", organisation="Mind"), ws["id"])
    screen = sockets(facilitator, ws["id"], role="screen")
    console = sockets(facilitator, ws["id"], role="facilitator")
    for client in (alice, bob, screen, console):
        clear(client)
    return ws, aid, alice, bob, screen, console


def add(client, aid, name, **fields):
    result = ack(
        client,
        "stakeholder:add",
        {"cid": cid(), "activity_id": aid, "name": name, "confirm_new": True, **fields},
    )
    assert result["ok"] and result["data"]["added"], result
    return result["data"]["id"]


def test_two_phones_build_a_map_that_reaches_the_screen(make_workshop, phone, sockets, facilitator):
    ws, aid, alice, bob, screen, _console = setup_map(make_workshop, phone, sockets, facilitator)
    gp = add(
        alice,
        aid,
        "Dr Gupta",
        kind="person",
        organisation="NHS Trust",
        sector="health",
        influence=4,
        interest=5,
        stance="champion",
        at_stake="Waiting lists",
        losses="Budget control",
    )
    mind = add(bob, aid, "Mind", kind="organisation", sector="voluntary")
    result = ack(
        bob,
        "relationship:add",
        {"activity_id": aid, "source_id": mind, "target_id": gp, "kind": "collaborates", "strength": 3},
    )
    assert result["ok"], result
    added = events(screen, "stakeholder:added")
    assert [e["stakeholder"]["name"] for e in added] == ["Dr Gupta", "Mind"]
    assert added[0]["stakeholder"]["losses"] == "Budget control"
    assert all(0 <= e["stakeholder"]["x"] <= 1 for e in added)
    rel = events(screen, "relationship:added")
    assert rel[0]["relationship"]["source"] == mind and rel[0]["relationship"]["kind"] == "collaborates"
    # An end with no ties yet moves next to its new neighbour, announced with the relationship.
    assert {m["id"] for m in rel[0]["moved"]} <= {gp, mind} and rel[0]["moved"]
    assert [e["stakeholder"]["name"] for e in events(bob, "stakeholder:added")] == ["Dr Gupta", "Mind"]
    # The screen's snapshot carries positions and an analysis; the phone's marks what is its own.
    state = ack(screen, "activity:state", {"activity_id": aid})["data"]["state"]
    assert {s["name"] for s in state["stakeholders"]} == {"Dr Gupta", "Mind"}
    assert state["analysis"]["measures"][str(gp)]["degree"] == 1
    assert state["analysis"]["findings"][0]["text"]
    mine = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    assert mine["mine"] == [gp] and "analysis" not in mine


def test_similar_names_ask_did_you_mean(make_workshop, phone, sockets, facilitator):
    _ws, aid, alice, bob, _screen, _console = setup_map(make_workshop, phone, sockets, facilitator)
    first = add(alice, aid, "Public Health England")
    result = ack(bob, "stakeholder:add", {"activity_id": aid, "name": "public  health englnd"})
    assert result["ok"] and result["data"]["added"] is False
    assert result["data"]["similar"][0]["id"] == first
    again = ack(
        bob, "stakeholder:add", {"activity_id": aid, "name": "public  health englnd", "confirm_new": True}
    )
    assert again["data"]["added"] is True


def test_participants_change_only_their_own_and_only_their_workshop(
    make_workshop, phone, sockets, facilitator
):
    ws, aid, alice, bob, _screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    gp = add(alice, aid, "Dr Gupta")
    denied = ack(bob, "stakeholder:edit", {"activity_id": aid, "stakeholder_id": gp, "name": "Mallory"})
    assert denied["error"]["code"] == "forbidden"
    assert ack(alice, "stakeholder:edit", {"activity_id": aid, "stakeholder_id": gp, "interest": 2})["ok"]
    assert ack(console, "stakeholder:edit", {"activity_id": aid, "stakeholder_id": gp, "name": "Dr A Gupta"})[
        "ok"
    ]
    # Another workshop's map cannot be named, read or written.
    other = make_workshop("Other", activities=(KIND,))
    eve = sockets(phone(other["code"], "Eve"), other["id"])
    assert (
        ack(eve, "stakeholder:add", {"activity_id": aid, "name": "X", "confirm_new": True})["error"]["code"]
        == "not_found"
    )
    own = other["activities"][0]
    assert (
        ack(eve, "stakeholder:edit", {"activity_id": own, "stakeholder_id": gp, "name": "X"})["error"]["code"]
        == "not_found"
    )
    mine = add(eve, own, "Eve's org")
    bad = ack(eve, "relationship:add", {"activity_id": own, "source_id": mine, "target_id": gp})
    assert bad["error"]["code"] == "not_found"
    # Facilitator-only commands are refused to phones.
    assert (
        ack(bob, "map:merge", {"activity_id": aid, "keep_id": gp, "merge_id": gp})["error"]["code"]
        == "forbidden"
    )
    assert ack(bob, "map:lock", {"activity_id": aid, "locked": True})["error"]["code"] == "forbidden"


def test_bad_payloads_closed_and_locked_maps(make_workshop, phone, sockets, facilitator):
    _ws, aid, alice, _bob, _screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    for payload in (
        {"activity_id": aid},
        {"activity_id": aid, "name": "x" * 121},
        {"activity_id": aid, "name": "A", "influence": 9},
        {"activity_id": aid, "name": "A", "admin": 1},
    ):
        assert ack(alice, "stakeholder:add", payload)["error"]["code"] == "invalid", payload
    assert (
        ack(alice, "stakeholder:add", {"activity_id": aid, "name": "A", "kind": "alien"})["error"]["code"]
        == "invalid_kind"
    )
    gp = add(alice, aid, "Dr Gupta")
    assert (
        ack(alice, "relationship:add", {"activity_id": aid, "source_id": gp, "target_id": gp})["error"][
            "code"
        ]
        == "invalid"
    )
    assert ack(console, "map:lock", {"activity_id": aid, "locked": True})["ok"]
    assert events(alice, "map:configured")[-1]["config"]["locked"] is True
    locked = ack(alice, "stakeholder:add", {"activity_id": aid, "name": "Late", "confirm_new": True})
    assert locked["error"]["code"] == "map_locked" and "locked" in locked["error"]["message"]
    assert add(console, aid, "Facilitators still curate")
    assert ack(console, "map:lock", {"activity_id": aid, "locked": False})["ok"]
    assert ack(console, "map:configure", {"activity_id": aid, "allow_relationships": False})["ok"]
    other = add(alice, aid, "Other")
    off = ack(alice, "relationship:add", {"activity_id": aid, "source_id": gp, "target_id": other})
    assert off["error"]["code"] == "relationships_off"
    ack(console, "activity:set_phase", {"activity_id": aid, "phase": "closed"})
    closed = ack(alice, "stakeholder:add", {"activity_id": aid, "name": "After", "confirm_new": True})
    assert closed["error"]["code"] == "activity_closed"


def test_put_myself_on_the_map(make_workshop, phone, sockets, facilitator):
    _ws, aid, alice, bob, screen, _console = setup_map(make_workshop, phone, sockets, facilitator)
    gp = add(alice, aid, "Dr Gupta", organisation="NHS Trust")
    result = ack(bob, "map:join", {"activity_id": aid, "works_with": [gp], "kind": "informal"})
    assert result["ok"], result
    data = result["data"]
    added = {e["stakeholder"]["id"]: e["stakeholder"] for e in events(screen, "stakeholder:added")}
    me = added[data["stakeholder_id"]]
    assert me["name"] == "Bob" and me["kind"] == "person" and me["organisation"] == "Mind" and me["is_self"]
    assert added[data["organisation_id"]]["kind"] == "organisation"
    rels = [e["relationship"] for e in events(screen, "relationship:added")]
    assert {(r["target"], r["kind"]) for r in rels} == {
        (data["organisation_id"], "member of"),
        (gp, "informal"),
    }
    # Doing it again adds nobody twice; Bob may edit himself.
    again = ack(bob, "map:join", {"activity_id": aid, "works_with": [gp], "kind": "informal"})["data"]
    assert again["stakeholder_id"] == data["stakeholder_id"] and again["relationship_ids"] == []
    assert ack(bob, "stakeholder:edit", {"activity_id": aid, "stakeholder_id": me["id"], "influence": 3})[
        "ok"
    ]


def test_needed_ties_hide_and_merge_keep_every_relationship(app, make_workshop, phone, sockets, facilitator):
    from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
    from facilitator.extensions import db

    _ws, aid, alice, bob, screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    gp = add(alice, aid, "Dr Gupta", at_stake="Waiting lists")
    dup = add(bob, aid, "Doctor Gupta", organisation="NHS Trust", losses="Status")
    mind = add(bob, aid, "Mind")
    council = add(bob, aid, "Council")
    for s, t, kind in (
        (mind, gp, "collaborates"),
        (mind, dup, "collaborates"),
        (dup, council, "funds"),
        (gp, dup, "informal"),
    ):
        assert ack(
            bob, "relationship:add", {"activity_id": aid, "source_id": s, "target_id": t, "kind": kind}
        )["ok"]
    needed = ack(
        alice,
        "relationship:add",
        {
            "activity_id": aid,
            "source_id": council,
            "target_id": mind,
            "kind": "commissions",
            "is_needed": True,
        },
    )
    assert needed["ok"]
    clear(screen)
    merged = ack(console, "map:merge", {"activity_id": aid, "keep_id": gp, "merge_id": dup})
    assert merged["ok"], merged
    seen = events(screen, "map:merged")[0]
    assert seen["removed_id"] == dup and seen["stakeholder"]["organisation"] == "NHS Trust"
    assert seen["stakeholder"]["aliases"] == ["Doctor Gupta"] and seen["stakeholder"]["losses"] == "Status"
    with app.app_context():
        assert db.session.get(Stakeholder, dup) is None
        ties = {
            (r.source_id, r.target_id, r.kind, r.is_needed)
            for r in db.session.query(Relationship).filter_by(activity_id=aid)
        }
    # mind-gp twice became once, dup-council re-pointed, the gp-dup tie vanished, the needed tie stayed.
    assert ties == {
        (mind, gp, "collaborates", False),
        (gp, council, "funds", False),
        (council, mind, "commissions", True),
    }
    # Hiding a stakeholder takes it (and its ties) off phones and the screen.
    hide = {"activity_id": aid, "item_type": "stakeholder", "item_id": council, "reason": "Duplicate"}
    assert ack(console, "item:hide", hide)["ok"]
    state = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    assert council not in {s["id"] for s in state["stakeholders"]}
    assert all(council not in (r["source"], r["target"]) for r in state["relationships"])
    staff = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    assert any(s["id"] == council and s["is_hidden"] for s in staff["stakeholders"])
    assert ack(console, "item:restore", {**hide, "reason": ""})["ok"]


def test_analyse_and_relayout_announce_results(make_workshop, phone, sockets, facilitator):
    _ws, aid, alice, _bob, screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    ids = [add(alice, aid, name) for name in ("Ann", "Ben", "Cat", "Dev")]
    for s, t in zip(ids, ids[1:], strict=False):
        ack(alice, "relationship:add", {"activity_id": aid, "source_id": s, "target_id": t})
    clear(screen)
    result = ack(console, "map:analyse", {"activity_id": aid})
    assert result["ok"] and result["data"]["queued"] is False
    analysed = events(screen, "map:analysed")[0]
    assert analysed["measures"][str(ids[1])]["broker"] is True
    assert any("stepped away" in f["text"] for f in analysed["findings"])
    assert ack(console, "map:relayout", {"activity_id": aid, "fresh": True})["data"]["started"] is True
    positions = []
    for _ in range(50):
        positions = events(screen, "map:positions")
        if positions:
            break
        time.sleep(0.1)
    assert positions and {p[0] for p in positions[0]["positions"]} == set(ids)
    assert all(0 <= p[1] <= 1 and 0 <= p[2] <= 1 for p in positions[0]["positions"])


def _build_small_map(alice, aid):
    a = add(
        alice,
        aid,
        HOSTILE,
        kind="person",
        organisation="=cmd|' /C calc'!A0",
        sector="health",
        influence=5,
        interest=2,
        stance="sceptic",
        at_stake="<b>jobs</b> & pay",
    )
    b = add(alice, aid, "Mind", kind="organisation", sector="voluntary")
    c = add(alice, aid, "Council", kind="organisation", sector="public")
    ack(
        alice,
        "relationship:add",
        {
            "activity_id": aid,
            "source_id": a,
            "target_id": b,
            "kind": "collaborates",
            "strength": 3,
            "directed": True,
            "note": "<i>weekly</i>",
        },
    )
    ack(alice, "relationship:add", {"activity_id": aid, "source_id": b, "target_id": c, "kind": "funds"})
    ack(
        alice,
        "relationship:add",
        {"activity_id": aid, "source_id": a, "target_id": c, "kind": "commissions", "is_needed": True},
    )
    return a, b, c


def test_graphml_round_trip_and_other_exports(make_workshop, phone, sockets, facilitator):
    ws, aid, alice, _bob, _screen, _console = setup_map(make_workshop, phone, sockets, facilitator)
    a, b, c = _build_small_map(alice, aid)
    base = f"/workshops/{ws['id']}/activities/{aid}"

    response = facilitator.get(f"{base}/map.graphml")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert b"<script>" not in body and b"&lt;script&gt;" in body
    g = nx.read_graphml(io.BytesIO(body))
    assert set(g.nodes) == {str(a), str(b), str(c)}
    assert g.number_of_edges() == 3
    node = g.nodes[str(a)]
    assert node["label"] == HOSTILE and node["organisation"] == "=cmd|' /C calc'!A0"
    assert node["influence"] == 5 and node["stance"] == "sceptic" and node["at_stake"] == "<b>jobs</b> & pay"
    assert node["degree"] == 1 and "betweenness" in node and "community" in node
    edges = {(u, v, d["kind"]): d for u, v, d in g.edges(data=True)}
    first = edges[(str(a), str(b), "collaborates")]
    assert first["strength"] == 3 and first["directed"] is True and first["note"] == "<i>weekly</i>"
    assert edges[(str(a), str(c), "commissions")]["needed"] is True

    gexf = facilitator.get(f"{base}/map.gexf").get_data()
    assert b"<script>" not in gexf
    assert set(nx.read_gexf(io.BytesIO(gexf)).nodes) == {str(a), str(b), str(c)}

    data = facilitator.get(f"{base}/map.json").get_json()
    assert {n["label"] for n in data["nodes"]} == {HOSTILE, "Mind", "Council"} and len(data["links"]) == 3
    assert data["graph"]["findings"]

    svg = facilitator.get(f"{base}/map.svg").get_data(as_text=True)
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg

    people = facilitator.get(f"{base}/stakeholders.csv")
    assert people.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(people.get_data(as_text=True))))
    hostile = next(r for r in rows if r["id"] == str(a))
    assert hostile["name"] == HOSTILE  # CSV carries text as text; no HTML context
    assert hostile["organisation"] == "'=cmd|' /C calc'!A0"  # formula neutralised
    ties = list(
        csv.DictReader(io.StringIO(facilitator.get(f"{base}/relationships.csv").get_data(as_text=True)))
    )
    assert {r["kind"] for r in ties} == {"collaborates", "funds", "commissions"}


def test_exports_need_the_workshops_facilitator(app, make_workshop, phone, sockets, facilitator):
    from tests.conftest import login, make_account

    ws = make_workshop(activities=(KIND, "check_in"))
    base = f"/workshops/{ws['id']}/activities"
    assert facilitator.get(f"{base}/{ws['activities'][1]}/map.graphml").status_code == 404  # not a map
    stranger = app.test_client()
    assert stranger.get(f"{base}/{ws['activities'][0]}/map.graphml").status_code == 302  # to login
    make_account(app, "other@example.org", "Other")
    login(stranger, "other@example.org")
    assert stranger.get(f"{base}/{ws['activities'][0]}/stakeholders.csv").status_code == 404


# The shared ActivityEditForm passes SelectField choices as tuples (deprecated in wtforms 3.3).
def test_settings_page_sets_kinds_and_relationship_rule(app, make_workshop, facilitator):
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    ws = make_workshop(activities=(KIND,), open_first=False)
    aid = ws["activities"][0]
    url = f"/workshops/{ws['id']}/activities/{aid}"
    page = facilitator.get(url).get_data(as_text=True)
    assert "relationship_kinds" in page and "collaborates" in page
    response = facilitator.post(
        url,
        data={
            "title": "Who shapes outcomes?",
            "prompt": "Who shapes mental-health outcomes in our area?",
            "visibility": "named",
            "stakeholder_kinds": "person\nteam\nPerson\n",
            "relationship_kinds": "funds, trusts",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        config = db.session.get(Activity, aid).config
    assert config["stakeholder_kinds"] == ["person", "team"]
    assert config["relationship_kinds"] == ["funds", "trusts"]
    assert config["allow_relationships"] is False and config["locked"] is False
