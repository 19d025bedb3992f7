from __future__ import annotations

from facilitator.extensions import db
from facilitator.workshops.models import Participant


def test_joining_needs_no_account_and_keeps_the_identity(app, make_workshop, phone):
    ws = make_workshop()
    browser = phone(ws["code"], "Alice", "Mind in North Vale", "Voluntary and community sector")
    live = browser.get(f"/j/{ws['code']}/live").get_data(as_text=True)
    assert "Alice" in live
    # Reloading or coming back to the join link keeps the same participant.
    assert browser.get(f"/j/{ws['code']}").headers["Location"].endswith("/live")
    with app.app_context():
        people = db.session.query(Participant).all()
        assert [(p.display_name, p.organisation, p.sector) for p in people] == [
            ("Alice", "Mind in North Vale", "Voluntary and community sector")
        ]
        token = people[0].token
    # A phone that lost its cookie comes back with the token it kept in localStorage.
    fresh = app.test_client()
    back = fresh.post(f"/j/{ws['code']}/resume", data={"token": token})
    assert back.headers["Location"].endswith("/live")
    assert "Alice" in fresh.get(f"/j/{ws['code']}/live").get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Participant).count() == 1


def test_the_code_can_be_typed_with_spaces(app, make_workshop, client):
    ws = make_workshop()
    response = client.post("/join", data={"code": f" {ws['code'][:3]} {ws['code'][3:]} "})
    assert response.headers["Location"].endswith(f"/j/{ws['code']}")


def test_hostile_names_are_shown_as_text(app, make_workshop, phone, facilitator):
    ws = make_workshop()
    browser = phone(ws["code"], "<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
    page = browser.get(f"/j/{ws['code']}/live").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_overlong_names_are_refused_with_a_message(app, make_workshop, client):
    ws = make_workshop()
    response = client.post(f"/j/{ws['code']}", data={"display_name": "x" * 61})
    assert response.status_code == 200
    assert "Field cannot be longer than 60 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Participant).count() == 0


def test_wrong_codes_are_throttled_per_device_not_per_address(app, make_workshop):
    ws = make_workshop()
    app.config["JOIN_ATTEMPTS_PER_DEVICE"] = 3
    guesser = app.test_client()
    guesser.get("/join")  # gets its device cookie
    for attempt in range(3):
        guesser.post("/join", data={"code": f"00000{attempt}"})
    assert guesser.post("/join", data={"code": ws["code"]}).status_code == 429
    # Hundreds of phones share one venue address: another phone is not blocked.
    neighbour = app.test_client()
    neighbour.get("/join")
    assert neighbour.post("/join", data={"code": ws["code"]}).status_code == 302


def test_wrong_codes_are_throttled_per_code(app, make_workshop):
    app.config["JOIN_ATTEMPTS_PER_CODE"] = 2
    for _ in range(3):
        device = app.test_client()
        device.get("/join")
        last = device.get("/j/111111")
    assert last.status_code == 429


def test_an_ended_workshop_says_so(make_workshop, facilitator, client, phone):
    ws = make_workshop()
    browser = phone(ws["code"], "Alice")
    facilitator.post(f"/workshops/{ws['id']}/phase", data={"phase": "ended"})
    response = client.get(f"/j/{ws['code']}")
    assert response.status_code == 410 and "has ended" in response.get_data(as_text=True)
    assert "has ended" in browser.get(f"/j/{ws['code']}/live").get_data(as_text=True)


def test_a_participant_can_change_their_details(app, make_workshop, phone):
    ws = make_workshop()
    browser = phone(ws["code"], "Al")
    browser.post(f"/j/{ws['code']}/me", data={"display_name": "Alice", "organisation": "Council", "sector": ""})
    with app.app_context():
        assert db.session.query(Participant).one().display_name == "Alice"
