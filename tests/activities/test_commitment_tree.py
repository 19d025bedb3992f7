"""Commitment tree: post, edit and withdraw from phones; the screen's tree; follow-up links; exports."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid

import pytest

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


# Branches from Open Space, "with whom" from the room ------------------------------------------------


def test_branches_can_be_taken_from_open_space_topics_and_actions(app, make_workshop, phone, facilitator):
    ws = make_workshop(activities=(KIND, "open_space"))
    aid, space_id = ws["activities"]
    phone(ws["code"], "Convener")
    from facilitator.activities.open_space.models import Report, Topic
    from facilitator.extensions import db
    from facilitator.workshops.models import Activity, Participant

    with app.app_context():
        convener = db.session.query(Participant).filter_by(workshop_id=ws["id"]).one()
        title = "Data <b>sharing</b> across the ICS"
        topic = Topic(activity_id=space_id, convener_id=convener.id, title=title)
        hidden = Topic(activity_id=space_id, convener_id=convener.id, title="Hidden topic", is_hidden=True)
        db.session.add_all([topic, hidden])
        db.session.flush()
        actions = ["Pilot a shared record"]
        db.session.add(Report(activity_id=space_id, topic_id=topic.id, proposed_actions=actions))
        db.session.commit()
    page = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}").get_data(as_text=True)
    assert "Data &lt;b&gt;sharing&lt;/b&gt; across the ICS" in page and "<b>sharing" not in page
    assert 'value="Pilot a shared record"' in page and "Hidden topic" not in page
    response = facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}",
        data={
            "title": "Tree",
            "prompt": "What will you do?",
            "visibility": "named",
            "new_branches": "Typed theme",
            "from_open_space": ["Data <b>sharing</b> across the ICS", "Pilot a shared record"],
            "pulse_days": "14, 45",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        config = db.session.get(Activity, aid).config
    assert [b["label"] for b in config["branches"]] == [
        "Typed theme",
        "Data <b>sharing</b> across the ICS",
        "Pilot a shared record",
    ]
    assert config["pulse_days"] == [14, 45]
    bad = facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}",
        data={"title": "Tree", "prompt": "", "visibility": "named", "pulse_days": "30, soon"},
    )
    assert bad.status_code == 200 and "whole numbers of days" in bad.get_data(as_text=True)


def test_phones_pick_with_whom_from_people_and_organisations_in_the_room(make_workshop, phone, sockets):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice", organisation="North Vale Council"), ws["id"])
    phone(ws["code"], "Bob", organisation="Vale Housing")
    phone(ws["code"], "", organisation="north vale council")
    state = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    assert state["people"] == ["Bob"]  # not herself, not the nameless
    assert state["organisations"] == ["North Vale Council", "Vale Housing"]
    posted = ack(alice, "commitment:post", {"activity_id": aid, "text": "Meet monthly", "with_whom": ["Bob"]})
    assert posted["ok"] and posted["data"]["follow_up_qr"].endswith("/qr.svg")


def test_the_follow_up_link_has_a_qr_code_for_its_owner(app, make_workshop, phone, sockets):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    data = ack(alice, "commitment:post", {"activity_id": aid, "text": "Walk the floor weekly"})["data"]
    stranger = app.test_client()
    qr = stranger.get(data["follow_up_qr"])
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.get_data(as_text=True).lstrip().startswith("<svg")
    assert qr.headers["Referrer-Policy"] == "no-referrer"
    assert stranger.get("/f/not-a-real-token/qr.svg").status_code == 404
    state = ack(alice, "activity:state", {"activity_id": aid})["data"]["state"]
    assert state["follow_up_qr"] == data["follow_up_qr"]


# Reminders by email, against a real SMTP server -----------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201
        self.messages.append(envelope.content)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    from tests.live import free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def parse(raw: bytes):
    from email import policy
    from email.parser import BytesParser

    return BytesParser(policy=policy.default).parsebytes(raw)


def run_cli(tmp_path, port: int, *args: str, database: str | None = None) -> str:
    env = {
        **os.environ,
        "FACILITATOR_INSTANCE_PATH": str(tmp_path / "instance"),
        "FACILITATOR_DATABASE_URL": database or f"sqlite:///{tmp_path / 'test.db'}",
        "FACILITATOR_SECRET_KEY": "a-scheduler-secret-key-for-tests",
        "FACILITATOR_SMTP_HOST": "127.0.0.1",
        "FACILITATOR_SMTP_PORT": str(port),
        "FACILITATOR_MAIL_FROM": "follow-up@venue.example",
    }
    out = subprocess.run(
        [sys.executable, "-m", "facilitator", "send-reminders", *args],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_reminders_go_out_once_per_pulse_only_with_consent(app, tmp_path, make_workshop, phone, sockets,
                                                            facilitator, smtp_server):
    inbox, port = smtp_server
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    evil = '<a href="http://evil">click</a> & <b>more</b>'
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob"), ws["id"])
    a = ack(alice, "commitment:post", {"activity_id": aid, "text": evil})["data"]
    ack(bob, "commitment:post", {"activity_id": aid, "text": "Bob keeps no email"})
    stranger = app.test_client()
    page = follow_up_path(a["follow_up_url"])

    # No consent, no address kept; a bad address is refused.
    stranger.post(f"{page}/email", data={"email": "alice@example.org"})
    stranger.post(f"{page}/email", data={"email": "alice@example.org\nBcc: x@y.z", "consent": "1"})
    from facilitator.activities.commitment_tree.models import FollowUpLink, Reminder
    from facilitator.extensions import db

    with app.app_context():
        assert db.session.query(FollowUpLink).filter(FollowUpLink.email != "").count() == 0
    stranger.post(f"{page}/email", data={"email": "alice@example.org", "consent": "1"})
    html = stranger.get(page).get_data(as_text=True)
    assert "alice@example.org" in html and "Remove my email address" in html

    from datetime import timedelta

    from facilitator.db import utcnow

    today = utcnow().date()
    # Nothing is due on the day; at day 31 the 30-day pulse goes out, once, however often the scheduler runs.
    assert "0 sent" in run_cli(tmp_path, port, database=app.config["SQLALCHEMY_DATABASE_URI"])
    assert inbox.messages == []
    day31 = (today + timedelta(days=31)).isoformat()
    assert "1 sent" in run_cli(tmp_path, port, "--as-of", day31, database=app.config["SQLALCHEMY_DATABASE_URI"])
    assert "0 sent" in run_cli(tmp_path, port, "--as-of", day31, database=app.config["SQLALCHEMY_DATABASE_URI"])
    assert len(inbox.messages) == 1
    msg = parse(inbox.messages[0])
    assert msg["To"] == "alice@example.org" and msg["From"] == "follow-up@venue.example"
    assert msg.get_content_type() == "text/plain"  # no HTML part: participant text stays text
    body = msg.get_content()
    assert evil in body and "Bob keeps no email" not in body
    assert f"/f/{a['follow_up_url'].rsplit('/f/', 1)[1]}" in body

    # Later runs, in-process: at day 95 only the 90-day pulse is sent (the 60-day one is skipped).
    from facilitator.activities.commitment_tree import followup

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    with app.app_context():
        later = followup.as_of((today + timedelta(days=95)).isoformat())
        assert followup.send_reminders(now=later)["sent"] == 1
        assert followup.send_reminders(now=later)["sent"] == 0
        keys = {r.key: r.outcome for r in db.session.query(Reminder)}
    assert keys == {"pulse:30": "sent", "pulse:60": "skipped", "pulse:90": "sent"}
    assert parse(inbox.messages[1])["X-Facilitator-Reminder"] == "pulse:90"

    # A follow-up round reaches her too; after she removes her address nothing more is sent.
    facilitator.post(
        f"/workshops/{ws['id']}/activities/{aid}/follow-up/rounds", data={"label": "Review <i>meeting</i>",
                                                                          "email_owners": "1"}
    )
    with app.app_context():
        assert followup.send_reminders(now=utcnow() + timedelta(days=96))["sent"] == 1
    round_mail = parse(inbox.messages[2]).get_content()
    assert "Review <i>meeting</i>" in round_mail
    stranger.post(f"{page}/email/remove")
    facilitator.post(f"/workshops/{ws['id']}/activities/{aid}/follow-up/rounds", data={"email_owners": "1"})
    with app.app_context():
        assert followup.send_reminders(now=utcnow() + timedelta(days=400))["checked"] == 0
        assert db.session.query(FollowUpLink).filter(FollowUpLink.email != "").count() == 0
    assert len(inbox.messages) == 3


def test_a_reminder_that_cannot_be_sent_is_tried_again(app, make_workshop, phone, sockets):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    a = ack(alice, "commitment:post", {"activity_id": aid, "text": "Keep going"})["data"]
    app.test_client().post(f"{follow_up_path(a['follow_up_url'])}/email",
                           data={"email": "a@example.org", "consent": "1"})
    from datetime import timedelta

    from facilitator.activities.commitment_tree import followup
    from facilitator.db import utcnow
    from tests.live import free_port

    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nobody listens there
    with app.app_context():
        result = followup.send_reminders(now=utcnow() + timedelta(days=31))
        assert result["failed"] == 1 and result["sent"] == 0
        assert followup.send_reminders(now=utcnow() + timedelta(days=31), dry_run=True)["sent"] == 1


# Leaders: rounds, stuck reasons, follow-through, ties -------------------------------------------------


def test_leaders_see_round_stragglers_stuck_reasons_follow_through_and_ties(
    app, make_workshop, phone, sockets, facilitator
):
    ws = make_workshop(activities=(KIND,))
    aid = ws["activities"][0]
    ids = setup_tree(app, facilitator, ws, branches=("Working together", "Data"))
    alice = sockets(phone(ws["code"], "Alice", organisation="North Vale Council"), ws["id"])
    bob = sockets(phone(ws["code"], "Bob", organisation="Vale Housing"), ws["id"])
    carol = sockets(phone(ws["code"], "Carol <script>", organisation="Vale Housing"), ws["id"])
    evil = "<img src=x onerror=alert(1)>"
    a1 = ack(alice, "commitment:post", {"activity_id": aid, "text": "Joint case reviews",
                                        "with_whom": ["Bob", "Food Bank"], "branch_id": ids[0]})["data"]
    a2 = ack(alice, "commitment:post", {"activity_id": aid, "text": evil, "branch_id": ids[1]})["data"]
    ack(bob, "commitment:post", {"activity_id": aid, "text": "Share lists", "with_whom": ["food bank"]})
    ack(carol, "commitment:post",
        {"activity_id": aid, "text": "Ask", "with_whom": ["Food  Bank", "Vale Housing"]})
    stranger = app.test_client()
    rounds = f"/workshops/{ws['id']}/activities/{aid}/follow-up/rounds"
    facilitator.post(rounds, data={"label": "March review"})
    stranger.post(f"{follow_up_path(a1['follow_up_url'])}/{a1['id']}", data={"status": "done"})
    stranger.post(f"{follow_up_path(a1['follow_up_url'])}/{a2['id']}",
                  data={"status": "stuck", "obstacle_form": "quick_fix", "obstacle": evil})

    html = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/follow-up").get_data(as_text=True)
    straggling = re.search(r'class="ct-not-updated">(.*?)</ul>', html, re.S).group(1)
    assert "Bob" in straggling and "Carol &lt;script&gt;" in straggling and "Alice" not in straggling
    assert "Reaching for a quick fix</td><td>1" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "25% done" in html  # 1 of 4
    assert re.search(r"<td>Working together</td><td>1</td><td>100%", html)
    assert re.search(r"<td>North Vale Council</td><td>2</td><td>50%", html)
    # Alice (council) with Bob (housing) and Food Bank; Bob and Carol (housing) with Food Bank:
    # council-housing, council-food bank, housing-food bank. Carol naming her own organisation is no tie.
    assert "promised 3 new cross-organisation ties" in html
    assert re.search(r"Food Bank</td><td>3</td><td><span class=\"badge", html)  # three depend on it
    assert "Commitments that name no counterpart (1)" in html


def test_promised_ties_go_to_the_stakeholder_map_once(app, make_workshop, phone, sockets, facilitator):
    ws = make_workshop(activities=(KIND, "stakeholder_map"))
    aid, map_id = ws["activities"]
    alice = sockets(phone(ws["code"], "Alice", organisation="North Vale Council"), ws["id"])
    phone(ws["code"], "Bob", organisation="Vale Housing")
    ack(alice, "commitment:post", {"activity_id": aid, "text": "Joint <b>reviews</b>",
                                   "with_whom": ["Bob", "Food Bank"]})
    overview = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/follow-up").get_data(as_text=True)
    assert "Add these ties to the stakeholder map" in overview
    url = f"/workshops/{ws['id']}/activities/{aid}/ties-to-map"
    assert facilitator.post(url).status_code == 302
    facilitator.post(url)
    from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
    from facilitator.extensions import db

    with app.app_context():
        ties = db.session.query(Relationship).filter_by(activity_id=map_id).all()
        names = {s.id: s.name for s in db.session.query(Stakeholder).filter_by(activity_id=map_id)}
        assert sorted((names[r.source_id], names[r.target_id], r.kind) for r in ties) == [
            ("Alice", "Bob", "committed to work with"),
            ("Alice", "Food Bank", "committed to work with"),
        ]
        assert ties[0].note == "Joint <b>reviews</b>"
    # Now those organisations are tied on the map, so the promise is no longer "new".
    overview = facilitator.get(f"/workshops/{ws['id']}/activities/{aid}/follow-up").get_data(as_text=True)
    assert "promised 0 new cross-organisation ties" in overview
    assert app.test_client().post(url).status_code in (302, 401)
