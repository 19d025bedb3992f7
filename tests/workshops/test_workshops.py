from __future__ import annotations

import re

from facilitator.extensions import db
from facilitator.workshops.models import Workshop
from tests.conftest import login, make_account


def test_create_edit_duplicate_and_delete(app, facilitator, make_workshop):
    ws = make_workshop(activities=("check_in", "check_in"))
    console = facilitator.get(f"/workshops/{ws['id']}").get_data(as_text=True)
    assert f"{ws['code'][:3]} {ws['code'][3:]}" in console  # the code is shown grouped
    facilitator.post(f"/workshops/{ws['id']}/edit", data={"title": "Renamed summit", "purpose": "p"})
    assert "Renamed summit" in facilitator.get("/workshops").get_data(as_text=True)
    copy = facilitator.post(f"/workshops/{ws['id']}/duplicate")
    copy_id = int(re.search(r"/workshops/(\d+)", copy.headers["Location"]).group(1))
    with app.app_context():
        original, duplicate = db.session.get(Workshop, ws["id"]), db.session.get(Workshop, copy_id)
        assert duplicate.code != original.code
        assert [a.kind for a in duplicate.activities] == [a.kind for a in original.activities]
        assert duplicate.phase == "draft"
    refused = facilitator.post(f"/workshops/{ws['id']}/delete", data={"confirm_title": "wrong"})
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(Workshop, ws["id"]) is not None
    facilitator.post(f"/workshops/{ws['id']}/delete", data={"confirm_title": "Renamed summit"})
    with app.app_context():
        assert db.session.get(Workshop, ws["id"]) is None


def test_agenda_add_reorder_remove(app, facilitator, make_workshop):
    ws = make_workshop(activities=(), stage_first=False)
    for title in ("First", "Second", "Third"):
        facilitator.post(f"/workshops/{ws['id']}/activities", data={"kind": "check_in", "title": title})

    def titles():
        with app.app_context():
            return [a.title for a in db.session.get(Workshop, ws["id"]).activities]

    assert titles() == ["First", "Second", "Third"]
    with app.app_context():
        third = db.session.get(Workshop, ws["id"]).activities[2].id
    facilitator.post(f"/workshops/{ws['id']}/activities/{third}/move", data={"direction": "up"})
    assert titles() == ["First", "Third", "Second"]
    facilitator.post(f"/workshops/{ws['id']}/activities/{third}/remove")
    assert titles() == ["First", "Second"]
    bad = facilitator.post(f"/workshops/{ws['id']}/activities", data={"kind": "no_such_kind"})
    assert bad.status_code == 302 and titles() == ["First", "Second"]


def test_other_facilitators_cannot_see_a_workshop_until_added(app, facilitator, make_workshop):
    ws = make_workshop()
    make_account(app, "co@example.org", "Colin Co")
    other = app.test_client()
    login(other, "co@example.org")
    assert other.get(f"/workshops/{ws['id']}").status_code == 404
    assert other.get(f"/workshops/{ws['id']}/screen").status_code == 404
    assert other.post(f"/workshops/{ws['id']}/delete", data={"confirm_title": "x"}).status_code == 404
    facilitator.post(f"/workshops/{ws['id']}/facilitators", data={"email": "CO@example.org"})
    assert other.get(f"/workshops/{ws['id']}").status_code == 200
    unknown = facilitator.post(f"/workshops/{ws['id']}/facilitators", data={"email": "nobody@example.org"},
                               follow_redirects=True)
    assert "No facilitator account" in unknown.get_data(as_text=True)


def test_pages_need_a_sign_in(client):
    for url in ("/workshops", "/workshops/new", "/workshops/1", "/workshops/1/screen", "/workshops/1/qr.svg"):
        assert client.get(url).status_code == 302


def test_qr_code_carries_the_join_url(facilitator, make_workshop, app):
    ws = make_workshop()
    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"
    svg = facilitator.get(f"/workshops/{ws['id']}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    import segno

    expected = segno.make(f"http://192.168.1.20:5000/j/{ws['code']}", error="m")
    assert expected.designator in ("3-M", "2-M", "4-M")
    console = facilitator.get(f"/workshops/{ws['id']}").get_data(as_text=True)
    assert f"http://192.168.1.20:5000/j/{ws['code']}" in console


def test_join_url_never_points_phones_at_loopback_when_serving_the_venue(facilitator, make_workshop, app,
                                                                         monkeypatch):
    ws = make_workshop()
    monkeypatch.setattr("facilitator.netaddr.lan_addresses", lambda: ["192.168.0.42"])
    app.config["SERVE_HOST"] = "0.0.0.0"
    console = facilitator.get(f"/workshops/{ws['id']}").get_data(as_text=True)
    assert f"http://192.168.0.42/j/{ws['code']}" in console
    assert "Phones cannot reach" not in console
    app.config["SERVE_HOST"] = "127.0.0.1"
    console = facilitator.get(f"/workshops/{ws['id']}").get_data(as_text=True)
    assert "Phones cannot reach" in console


def test_the_demo_workshop_is_realistic(app):
    from facilitator.demo import create_demo

    with app.app_context():
        workshop, password = create_demo("demo@example.org")
        assert password
        orgs = {p.organisation for p in db.session.query(__import__("facilitator.workshops.models",
                                                                    fromlist=["Participant"]).Participant)}
        assert any("Constabulary" in o for o in orgs) and any("Housing" in o for o in orgs)
        assert workshop.activities and workshop.staged_activity_id == workshop.activities[0].id
