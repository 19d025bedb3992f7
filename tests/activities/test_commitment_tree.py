"""Commitment tree: post, edit and withdraw from phones; the screen's tree; follow-up links; exports."""

from __future__ import annotations

import csv
import io
import re
import uuid

from tests.conftest import ack

KIND = "commitment_tree"


def cid() -> str:
    return uuid.uuid4().hex


def setup_tree(app, facilitator, ws, branches=("Working together", "Data"), show_names=True):
    """Use the activity settings page, as a facilitator would."""
    activity_id = ws["activities"][0]
    response = facilitator.post(
        f"/workshops/{ws['id']}/activities/{activity_id}",
        data={
            "title": "Commitment tree",
            "prompt": "What will you do differently?",
            "visibility": "named",
            "new_branches": "\n".join(branches),
            **({"show_names": "1"} if show_names else {}),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    with app.app_context():
        return [b["id"] for b in db.session.get(Activity, activity_id).config["branches"]]


def events(client, name):
    return [m["args"][0]["data"] for m in client.get_received() if m["name"] == name]


def test_post_reaches_other_phones_and_the_screen_and_edit_own(
    app, make_workshop, phone, sockets, facilitator
):
    ws = make_workshop(activities=(KIND,))
    branch_ids = setup_tree(app, facilitator, ws)
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    screen = sockets(facilitator, ws["id"], role="screen")
    for client in (alice, bob, screen):
        client.get_received()

    posted = ack(
        alice,
        "commitment:post",
        {
            "cid": cid(),
            "activity_id": aid,
            "text": "I will run a joint case review monthly",
            "by_when": "2031-03-01",
            "with_whom": ["Housing team", " Food bank "],
            "branch_id": branch_ids[0],
        },
    )
    assert posted["ok"], posted
    commitment_id = posted["data"]["id"]
    assert re.search(r"/f/[A-Za-z0-9_-]{30,}$", posted["data"]["follow_up_url"])
    for client in (bob, screen):
        seen = events(client, "commitment:posted")
        assert seen and seen[0]["commitment"]["text"] == "I will run a joint case review monthly"
        assert seen[0]["commitment"]["with_whom"] == ["Housing team", "Food bank"]
        assert seen[0]["commitment"]["author"] == "Alice"

    edited = ack(
        alice,
        "commitment:edit",
        {
            "activity_id": aid,
            "commitment_id": commitment_id,
            "text": "I will run a case review every fortnight",
            "branch_id": branch_ids[1],
        },
    )
    assert edited["ok"], edited
    assert (
        events(bob, "commitment:edited")[0]["commitment"]["text"]
        == "I will run a case review every fortnight"
    )

    # Alice sees her own, with the follow-up link; Bob sees hers but not as his.
    mine = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    assert [c["id"] for c in mine["mine"]] == [commitment_id] and "/f/" in mine["follow_up_url"]
    theirs = ack(bob, "activity:state", {"activity_id": aid})["data"]["state"]
    assert theirs["mine"] == [] and theirs["follow_up_url"] is None
    assert [c["id"] for c in theirs["commitments"]] == [commitment_id]

    # The big screen's tree has the leaf, and it stays where it was when another arrives.
    svg = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg").get_data(as_text=True)
    first = re.search(rf'data-leaf-id="{commitment_id}"[^>]*transform="([^"]+)"', svg).group(1)
    assert ack(
        bob, "commitment:post", {"activity_id": aid, "text": "Share our data", "branch_id": branch_ids[1]}
    )["ok"]
    svg = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg").get_data(as_text=True)
    assert re.search(rf'data-leaf-id="{commitment_id}"[^>]*transform="([^"]+)"', svg).group(1) == first
    assert svg.count('class="leaf') == 2


def test_a_participant_cannot_edit_or_withdraw_anothers(app, make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    mallory = sockets(phone(ws["code"], "Mallory"), ws["id"])
    commitment_id = ack(alice, "commitment:post", {"activity_id": aid, "text": "Mine"})["data"]["id"]
    edit = ack(
        mallory, "commitment:edit", {"activity_id": aid, "commitment_id": commitment_id, "text": "Hijacked"}
    )
    assert edit["error"]["code"] == "forbidden"
    withdraw = ack(mallory, "commitment:withdraw", {"activity_id": aid, "commitment_id": commitment_id})
    assert withdraw["error"]["code"] == "forbidden"
    # A branch that does not exist and bad payloads are refused.
    assert ack(alice, "commitment:post", {"activity_id": aid, "text": "x", "branch_id": 99})["error"][
        "code"
    ] == ("invalid_branch")
    for payload in (
        {"activity_id": aid, "text": "x" * 301},
        {"activity_id": aid, "text": "ok", "with_whom": ["a"] * 9},
        {"activity_id": aid, "text": "ok", "with_whom": ["x" * 81]},
        {"activity_id": aid, "text": "ok", "by_when": "not a date"},
        {"activity_id": aid, "text": "ok", "owner": 1},
    ):
        assert ack(alice, "commitment:post", payload)["error"]["code"] == "invalid", payload
    assert ack(alice, "commitment:withdraw", {"activity_id": aid, "commitment_id": commitment_id})["ok"]
    from facilitator.activities.commitment_tree.models import Commitment
    from facilitator.extensions import db

    with app.app_context():
        assert db.session.query(Commitment).count() == 0


def test_nothing_after_close(make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    console = sockets(facilitator, ws["id"], role="facilitator")
    commitment_id = ack(alice, "commitment:post", {"activity_id": aid, "text": "Before close"})["data"]["id"]
    assert ack(console, "activity:set_phase", {"activity_id": aid, "phase": "closed"})["ok"]
    assert (
        ack(alice, "commitment:post", {"activity_id": aid, "text": "Late"})["error"]["code"]
        == "activity_closed"
    )
    edit = ack(
        alice, "commitment:edit", {"activity_id": aid, "commitment_id": commitment_id, "text": "Changed"}
    )
    assert edit["error"]["code"] == "activity_closed"
    withdraw = ack(alice, "commitment:withdraw", {"activity_id": aid, "commitment_id": commitment_id})
    assert withdraw["error"]["code"] == "activity_closed"


def test_hidden_commitments_leave_the_screen_and_phones(make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    console = sockets(facilitator, ws["id"], role="facilitator")
    commitment_id = ack(alice, "commitment:post", {"activity_id": aid, "text": "Rude words"})["data"]["id"]
    hide = {"activity_id": aid, "item_type": "commitment", "item_id": commitment_id, "reason": "Off topic"}
    assert ack(console, "item:hide", hide)["ok"]
    assert ack(bob, "activity:state", {"activity_id": aid})["data"]["state"]["commitments"] == []
    svg = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg").get_data(as_text=True)
    assert "Rude words" not in svg
    # Editing a hidden commitment does not put its text back in front of the room.
    bob.get_received()
    assert ack(
        alice, "commitment:edit", {"activity_id": aid, "commitment_id": commitment_id, "text": "Still rude"}
    )["ok"]
    assert events(bob, "commitment:edited") == []
    own = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]["mine"]
    assert own[0]["is_hidden"] is True and own[0]["text"] == "Still rude"
    staff = ack(console, "activity:state", {"activity_id": aid})["data"]["state"]["commitments"]
    assert staff[0]["is_hidden"] is True


def follow_up_path(url: str) -> str:
    return "/f/" + url.rsplit("/f/", 1)[1]


def test_follow_up_link_reaches_only_its_owners_commitments(app, make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    a = ack(alice, "commitment:post", {"activity_id": aid, "text": "Alice's promise"})["data"]
    b = ack(bob, "commitment:post", {"activity_id": aid, "text": "Bob's promise"})["data"]
    facilitator.post(f"/workshops/{ws['id']}/phase", data={"phase": "ended"})

    stranger = app.test_client()  # no account, no join: just the saved link, after the workshop ended
    page = stranger.get(follow_up_path(a["follow_up_url"]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Alice&#39;s promise" in html and "Bob" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"

    # Alice's link cannot touch Bob's commitment; an unknown token finds nothing.
    other = stranger.post(f"{follow_up_path(a['follow_up_url'])}/{b['id']}", data={"status": "done"})
    assert other.status_code == 404
    assert stranger.get("/f/not-a-real-token").status_code == 404

    # Stuck asks what is in the way; the history keeps every update.
    target = f"{follow_up_path(a['follow_up_url'])}/{a['id']}"
    assert stranger.post(target, data={"status": "stuck", "note": ""}).status_code == 302
    assert stranger.post(target, data={"status": "stuck", "obstacle_form": "quick_fix"}).status_code == 302
    assert stranger.post(target, data={"status": "in_progress", "note": "Booked the room"}).status_code == 302
    assert stranger.post(target, data={"status": "sideways"}).status_code == 302
    from facilitator.activities.commitment_tree.models import Commitment, StatusUpdate
    from facilitator.extensions import db

    with app.app_context():
        mine = db.session.get(Commitment, a["id"])
        assert [(u.status, u.obstacle_form, u.note) for u in mine.updates] == [
            ("stuck", "quick_fix", ""),
            ("in_progress", "", "Booked the room"),
        ]
        assert mine.status == "in_progress"
        assert db.session.get(Commitment, b["id"]).status == "not_started"
        assert db.session.query(StatusUpdate).count() == 2

    # The facilitator sees who has not updated.
    overview = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/follow-up").get_data(as_text=True)
    assert "1 of 2 people have not updated" in overview
    assert re.search(r"Bob.*?Not updated", overview, re.S)


def test_hostile_text_stays_text_on_the_follow_up_page_and_tree(
    app, make_workshop, phone, sockets, facilitator
):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    alice = sockets(phone(ws["code"], evil[:60]), ws["id"])
    a = ack(alice, "commitment:post", {"activity_id": aid, "text": evil, "with_whom": [evil[:80]]})["data"]
    stranger = app.test_client()
    target = follow_up_path(a["follow_up_url"])
    assert (
        stranger.post(
            f"{target}/{a['id']}", data={"status": "stuck", "obstacle": evil, "note": evil}
        ).status_code
        == 302
    )
    html = stranger.get(target).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg?new={a['id']}&title=0")
    svg = response.get_data(as_text=True)
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;" in svg
    assert 'class="leaf is-new"' in svg and "prefers-reduced-motion" in svg
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none': no scripts
    # Only its facilitators can fetch the tree.
    assert app.test_client().get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg").status_code in (302, 401)


def test_csv_export_escapes_formulas_and_keeps_history(app, make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], '=HYPERLINK("http://x")'), ws["id"])
    a = ack(
        alice, "commitment:post", {"activity_id": aid, "text": "=1+2", "with_whom": ["@admin", "-minus"]}
    )["data"]
    ack(alice, "commitment:post", {"activity_id": aid, "text": "+danger"})
    stranger = app.test_client()
    stranger.post(
        f"{follow_up_path(a['follow_up_url'])}/{a['id']}", data={"status": "done", "note": "-done it"}
    )
    assert app.test_client().get(f"/workshops/{ws['id']}/activities/{aid}/commitments.csv").status_code in (
        302,
        401,
    )
    response = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/commitments.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["commitment"] == "'=1+2" and rows[1]["commitment"] == "'+danger"
    assert rows[0]["author"].startswith("'=")
    assert rows[0]["with_whom"] == "'@admin; -minus"
    assert rows[0]["status"] == "done" and rows[0]["status_note"] == "'-done it"
    assert "done: -done it" in rows[0]["status_history"]
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_settings_keep_branch_ids_and_names_can_be_hidden(app, make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    ids = setup_tree(app, facilitator, ws, branches=("Helth", "Data"), show_names=False)
    alice = sockets(phone(ws["code"], "Alice Example"), ws["id"])
    assert ack(alice, "commitment:post", {"activity_id": aid, "text": "Walk to work", "branch_id": ids[0]})[
        "ok"
    ]
    facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}",
        data={
            "title": "Tree",
            "prompt": "",
            "visibility": "named",
            f"branch_{ids[0]}": "Health",
            f"branch_{ids[1]}": "",
            "new_branches": "Voice\nvoice\n",
        },
    )
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    with app.app_context():
        config = db.session.get(Activity, aid).config
    assert config["branches"] == [{"id": ids[0], "label": "Health"}, {"id": ids[1] + 1, "label": "Voice"}]
    assert config["show_names"] is False
    svg = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg").get_data(as_text=True)
    assert "Health" in svg and "Walk to work" in svg and "Alice Example" not in svg
    page = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}").get_data(as_text=True)
    assert f'name="branch_{ids[0]}"' in page


def test_anonymous_trees_carry_no_names_and_other_kinds_are_refused(
    app, make_workshop, phone, sockets, facilitator
):
    ws = make_workshop(activities=(KIND, "check_in"), open_first=False)
    aid, other = ws["activities"]
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity

    with app.app_context():
        db.session.get(Activity, aid).visibility = "anonymous"
        db.session.commit()
    console = sockets(facilitator, ws["id"], role="facilitator")
    assert ack(console, "activity:set_phase", {"activity_id": aid, "phase": "open"})["ok"]
    alice = sockets(phone(ws["code"], "Alice Secret"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    bob.get_received()
    assert ack(alice, "commitment:post", {"activity_id": aid, "text": "Quietly"})["ok"]
    assert events(bob, "commitment:posted")[0]["commitment"]["author"] is None
    assert ack(alice, "commitment:post", {"activity_id": other, "text": "x"})["error"]["code"] == "not_found"
    overview = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/follow-up").get_data(as_text=True)
    svg = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/tree.svg").get_data(as_text=True)
    assert "Alice Secret" not in overview and "Alice Secret" not in svg
    # The kind's pages are only for its own kind.
    assert facilitator.get(f"/workshops/{ws['id']}/activities/{other}/tree.svg").status_code == 404
