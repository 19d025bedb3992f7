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
    # The broadcast names each finding by code only (a sentence would be in the asker's language); each
    # screen and console asks for its own words.
    assert any(f["code"] == "single_point" for f in analysed["findings"])
    assert all("text" not in f for f in analysed["findings"])
    worded = ack(screen, "activity:state", {"activity_id": aid})["data"]["state"]["analysis"]["findings"]
    assert any("stepped away" in f["text"] for f in worded)
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


# Imports ------------------------------------------------------------------------------------------


def _node_view(g, node):
    data = dict(g.nodes[node])
    keep = (
        "label",
        "kind",
        "organisation",
        "sector",
        "influence",
        "interest",
        "stance",
        "at_stake",
        "loyalties",
        "losses",
        "aliases",
        "x",
        "y",
        "degree",
        "betweenness",
        "broker",
    )
    return {k: data.get(k) for k in keep}


def _graph_view(body):
    g = nx.read_graphml(io.BytesIO(body))
    label = {n: g.nodes[n]["label"] for n in g.nodes}
    nodes = {label[n]: _node_view(g, n) for n in g.nodes}
    edges = sorted(
        (label[u], label[v], d["kind"], d["strength"], d["directed"], d["needed"], d["note"])
        for u, v, d in g.edges(data=True)
    )
    return nodes, edges


def test_graphml_in_graphml_out_keeps_the_graph_and_its_attributes(
    make_workshop, phone, sockets, facilitator
):
    ws, aid, alice, _bob, _screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    a, b, c = _build_small_map(alice, aid)
    ack(
        alice,
        "stakeholder:edit",
        {
            "activity_id": aid,
            "stakeholder_id": b,
            "loyalties": "Members\nfirst",
            "losses": "Grant <u>income</u>",
        },
    )
    ack(console, "map:merge", {"activity_id": aid, "keep_id": c, "merge_id": add(alice, aid, "The Council")})
    original = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/map.graphml").get_data()

    other = make_workshop("Second summit", activities=(KIND,))
    target = other["activities"][0]
    base = f"/workshops/{other['id']}/activities/{target}"
    screen = sockets(facilitator, other["id"], role="screen")
    clear(screen)
    response = facilitator.post(
        f"{base}/import",
        data={"graphml": (io.BytesIO(original), "map.graphml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    imported = events(screen, "map:imported")[0]
    assert {s["name"] for s in imported["stakeholders"]} == {HOSTILE, "Mind", "Council"}
    assert len(imported["relationships"]) == 3

    again = facilitator.get(f"{base}/map.graphml").get_data()
    assert _graph_view(again) == _graph_view(original)
    nodes, edges = _graph_view(again)
    assert nodes["Council"]["aliases"] == "The Council" and nodes["Mind"]["loyalties"] == "Members\nfirst"
    assert (HOSTILE, "Mind", "collaborates", 3, True, False, "<i>weekly</i>") in edges
    # Importing the same file again adds nothing twice.
    facilitator.post(
        f"{base}/import",
        data={"graphml": (io.BytesIO(original), "map.graphml")},
        content_type="multipart/form-data",
    )
    assert _graph_view(facilitator.get(f"{base}/map.graphml").get_data())[1] == edges


def test_csv_import_adds_stakeholders_and_relationships_by_id_or_name(
    app, make_workshop, sockets, facilitator
):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    console = sockets(facilitator, ws["id"], role="facilitator")
    add(console, aid, "Existing Trust", organisation="Existing Trust")
    people = (
        "id,name,kind,organisation,sector,influence,interest,stance,losses\n"
        "p1,Dr Patel,person,City GP,health,4,5,champion,Their list size\n"
        "p2,Youth Forum,group,,voluntary,,3,,\n"
        "p3,existing  trust,organisation,,,,,,\n"
    )
    ties = (
        "source,target,kind,strength,directed,needed,note\n"
        "p1,p2,collaborates,3,yes,no,monthly\n"
        "Youth Forum,Existing Trust,advises,1,no,yes,\n"
    )
    response = facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}/import",
        data={
            "stakeholders": (io.BytesIO(people.encode()), "people.csv"),
            "relationships": (io.BytesIO(ties.encode()), "ties.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Imported 2 new stakeholders (1 were already on the map)" in page
    state = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]
    by_name = {s["name"]: s for s in state["stakeholders"]}
    assert set(by_name) == {"Existing Trust", "Dr Patel", "Youth Forum"}
    assert by_name["Dr Patel"]["influence"] == 4 and by_name["Dr Patel"]["losses"] == "Their list size"
    rels = {(r["source"], r["target"]): r for r in state["relationships"]}
    first = rels[(by_name["Dr Patel"]["id"], by_name["Youth Forum"]["id"])]
    assert (
        first["strength"] == 3 and first["directed"] and not first["is_needed"] and first["note"] == "monthly"
    )
    assert rels[(by_name["Youth Forum"]["id"], by_name["Existing Trust"]["id"])]["is_needed"]
    assert "advises" in state["config"]["relationship_kinds"]  # the file's own kinds come with it


def test_a_bad_csv_is_reported_row_by_row_and_nothing_is_imported(app, make_workshop, facilitator):
    from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
    from facilitator.extensions import db

    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    people = (
        "name,influence,stance,organisation\n"
        "Good One,3,supporter,Org\n"
        ",2,,\n"
        "Too Strong,9,,\n"
        "Odd,2,overlord,\n"
        f"{'x' * 121},1,,\n"
        "Good Two,,,\n"
    )
    ties = (
        "source,target,strength\n"
        "Good One,Good Two,2\nGood One,Nobody,2\nGood Two,Good Two,1\nGood One,Good Two,7\n"
    )
    response = facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}/import",
        data={
            "stakeholders": (io.BytesIO(people.encode()), "people.csv"),
            "relationships": (io.BytesIO(ties.encode()), "ties.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    for row, reason in (
        (3, "The name is missing."),
        (4, "Influence must be a whole number from 1 to 5."),
        (5, "Stance must be one of"),
        (6, "Name is longer than 120 characters."),
        (5, "Strength must be 1, 2 or 3."),
    ):
        assert f"<td>{row}</td><td>{reason}" in page, (row, reason)
    with app.app_context():
        assert db.session.query(Stakeholder).filter_by(activity_id=aid).count() == 0
        assert db.session.query(Relationship).filter_by(activity_id=aid).count() == 0

    # Once the stakeholders are clean, the relationship rows are checked against them.
    clean = "name\nGood One\nGood Two\n"
    response = facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}/import",
        data={
            "stakeholders": (io.BytesIO(clean.encode()), "people.csv"),
            "relationships": (io.BytesIO(ties.encode()), "ties.csv"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<td>3</td><td>No stakeholder called or numbered “Nobody”." in page
    assert "<td>4</td><td>A relationship needs two different stakeholders." in page
    with app.app_context():
        assert db.session.query(Stakeholder).filter_by(activity_id=aid).count() == 0


def test_import_refuses_big_files_broken_graphml_and_strangers(app, make_workshop, facilitator):
    from tests.conftest import login, make_account

    ws = make_workshop(activities=(KIND,))
    url = f"/workshops/{ws['id']}/activities/{ws['activities'][0]}/import"
    page = facilitator.get(url).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    app.config["MAP_IMPORT_MAX_BYTES"] = 1024
    big = ("name\n" + "A long enough name\n" * 200).encode()
    response = facilitator.post(
        url, data={"stakeholders": (io.BytesIO(big), "big.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "at most 1 kB" in response.get_data(as_text=True)
    bomb = b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaa">]><graphml>&a;</graphml>'
    for body in (bomb, b"<graphml><node"):
        response = facilitator.post(
            url, data={"graphml": (io.BytesIO(body), "m.graphml")}, content_type="multipart/form-data"
        )
        assert response.status_code == 422
    stranger = app.test_client()
    make_account(app, "other@example.org", "Other")
    login(stranger, "other@example.org")
    assert stranger.get(url).status_code == 404


def test_import_form_needs_a_csrf_token(tmp_path):
    from facilitator import create_app
    from facilitator.extensions import db

    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "k" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf.db'}",
        }
    )
    with app.app_context():
        db.create_all()
    response = app.test_client().post("/workshops/1/activities/1/import", data={})
    assert response.status_code == 400  # CSRF refused before anything else
    with app.app_context():
        db.engine.dispose()


# Phones see a picture of the map -------------------------------------------------------------------


def test_phones_get_a_small_svg_of_the_map_only_for_their_workshop(
    make_workshop, phone, sockets, facilitator
):
    ws, aid, alice, _bob, _screen, _console = setup_map(make_workshop, phone, sockets, facilitator)
    _build_small_map(alice, aid)
    carol = phone(ws["code"], "Carol")
    response = carol.get(f"/stakeholder-map/{aid}/thumbnail.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" not in svg
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert facilitator.get(f"/stakeholder-map/{aid}/thumbnail.svg").status_code == 200
    other = make_workshop("Other", activities=(KIND,))
    outsider = phone(other["code"], "Eve")
    assert outsider.get(f"/stakeholder-map/{aid}/thumbnail.svg").status_code == 404
    # An anonymous browser is refused too.
    assert outsider.application.test_client().get(f"/stakeholder-map/{aid}/thumbnail.svg").status_code == 404


# Losses, needed ties, findings in the reader's language --------------------------------------------


def test_the_map_shows_who_bears_the_losses_and_needed_ties_on_request(
    make_workshop, phone, sockets, facilitator
):
    ws, aid, alice, bob, screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    a, b, c = _build_small_map(alice, aid)
    ack(alice, "stakeholder:edit", {"activity_id": aid, "stakeholder_id": b, "losses": "Its grant"})
    result = ack(console, "map:analyse", {"activity_id": aid})["data"]
    losses = next(f for f in result["findings"] if f["code"] == "losses")
    assert losses["ids"] == [b] and "Mind" in losses["text"] and "lose" in losses["text"]
    assert ack(console, "map:configure", {"activity_id": aid, "show_losses": True, "ties_shown": "needed"})[
        "ok"
    ]
    config = events(bob, "map:configured")[-1]["config"]
    assert config["show_losses"] is True and config["ties_shown"] == "needed"
    assert (
        ack(bob, "map:configure", {"activity_id": aid, "show_losses": False})["error"]["code"] == "forbidden"
    )
    thumb = phone(ws["code"], "Dan").get(f"/stakeholder-map/{aid}/thumbnail.svg").get_data(as_text=True)
    assert 'class="needed-ties"' in thumb and "stroke-dasharray" in thumb


def test_findings_are_rendered_in_the_readers_language(
    monkeypatch, make_workshop, phone, sockets, facilitator
):
    from facilitator.activities.stakeholder_map import services

    class Pirate:
        def ngettext(self, singular, plural, n):
            text = singular if n == 1 else plural
            return {"and": "an'"}.get(text, "Arr! " + text)

    _ws, aid, alice, _bob, _screen, console = setup_map(make_workshop, phone, sockets, facilitator)
    for name in ("Ann", "Ben", "Cat"):
        add(alice, aid, name)
    monkeypatch.setattr(services, "get_translations", lambda: Pirate())
    found = ack(console, "map:analyse", {"activity_id": aid})["data"]["findings"]
    isolates = next(f for f in found if f["code"] == "isolates")
    assert (
        isolates["text"]
        == "Arr! 3 stakeholders have no relationship with anyone else on the map: Ann, Ben an' Cat."
    )


def test_the_browser_module_never_writes_html_from_data():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "static/js/kinds/stakeholder_map.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in source


def test_html_in_every_text_field_stays_text_in_every_export(make_workshop, phone, sockets, facilitator):
    import xml.etree.ElementTree as ET

    ws = make_workshop(activities=(KIND,), open_first=False, stage_first=False)
    aid = ws["activities"][0]
    base = f"/workshops/{ws['id']}/activities/{aid}"
    evil = {
        f: f"<img src=x onerror=alert('{f}')>"
        for f in ("name", "organisation", "sector", "at_stake", "loyalties", "losses")
    }
    facilitator.post(
        base,
        data={
            "title": "<b>Map</b>",
            "prompt": "<script>q()</script>",
            "visibility": "named",
            "stakeholder_kinds": "<i>kind</i>",
            "relationship_kinds": "<u>tie</u>",
            "allow_relationships": "on",
        },
    )
    console = sockets(facilitator, ws["id"], role="facilitator")
    a = add(console, aid, kind="<i>kind</i>", **evil)
    b = add(console, aid, "Plain", organisation="Org")
    assert ack(
        console,
        "relationship:add",
        {
            "activity_id": aid,
            "source_id": a,
            "target_id": b,
            "kind": "<u>tie</u>",
            "note": "<svg onload=x()>",
        },
    )["ok"]
    texts = [*evil.values(), "<i>kind</i>", "<u>tie</u>", "<svg onload=x()>"]
    for path in ("map.graphml", "map.gexf", "map.svg"):
        body = facilitator.get(f"{base}/{path}").get_data(as_text=True)
        root = ET.fromstring(body)  # well-formed: no markup was let through
        tags = {el.tag.split("}")[-1] for el in root.iter()}
        assert not tags & {"img", "script", "i", "u", "b"}, (path, tags)
        assert "<img" not in body and "<script" not in body
        if path != "map.svg":
            values = {el.text for el in root.iter() if el.text} | {
                v for el in root.iter() for v in el.attrib.values()
            }
            assert set(texts) <= values, path
    data = facilitator.get(f"{base}/map.json").get_json()
    node = next(n for n in data["nodes"] if n["id"] == str(a))
    assert {node[f] for f in ("organisation", "sector", "at_stake", "loyalties", "losses")} <= set(texts)
    people = list(
        csv.DictReader(io.StringIO(facilitator.get(f"{base}/stakeholders.csv").get_data(as_text=True)))
    )
    assert people[0]["name"] == evil["name"] and people[0]["losses"] == evil["losses"]
    ties = list(
        csv.DictReader(io.StringIO(facilitator.get(f"{base}/relationships.csv").get_data(as_text=True)))
    )
    assert ties[0]["note"] == "<svg onload=x()>" and ties[0]["kind"] == "<u>tie</u>"
    page = facilitator.get(f"{base}/import").get_data(as_text=True)
    assert "<b>Map</b>" not in page and "&lt;b&gt;Map&lt;/b&gt;" in page
