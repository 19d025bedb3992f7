from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import PASSWORD, login, make_account


def test_first_run_creates_the_first_account_then_closes(app, client):
    assert client.get("/login").headers["Location"].endswith("/setup")
    page = client.get("/setup").get_data(as_text=True)
    assert "Create the first facilitator account" in page
    response = client.post("/setup", data={"name": "Fran", "email": "fran@example.org", "password": PASSWORD,
                                           "confirm": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/workshops")
    # Once an account exists, the setup page is closed to everyone.
    other = app.test_client()
    assert other.get("/setup").headers["Location"].endswith("/login")
    other.post("/setup", data={"name": "Eve", "email": "eve@example.org", "password": PASSWORD, "confirm": PASSWORD})
    from facilitator.auth.models import Facilitator
    from facilitator.extensions import db

    with app.app_context():
        assert [f.email for f in db.session.query(Facilitator)] == ["fran@example.org"]


def test_passwords_are_hashed_and_checked(app, client):
    make_account(app)
    from facilitator.auth.models import Facilitator
    from facilitator.extensions import db

    with app.app_context():
        stored = db.session.query(Facilitator).one().password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    bad = client.post("/login", data={"email": "fac@example.org", "password": "wrong password!"})
    assert bad.status_code == 200 and "do not match" in bad.get_data(as_text=True)
    login(client)
    assert client.get("/workshops").status_code == 200


def test_logout_and_password_change(app, client):
    make_account(app)
    login(client)
    wrong = client.post("/account/password", data={"current": "nope", "password": "new password 123",
                                                   "confirm": "new password 123"})
    assert "not right" in wrong.get_data(as_text=True)
    ok = client.post("/account/password", data={"current": PASSWORD, "password": "new password 123",
                                                "confirm": "new password 123"})
    assert ok.status_code == 302
    client.post("/logout")
    assert client.get("/workshops").status_code == 302
    assert client.post("/login", data={"email": "fac@example.org", "password": "new password 123"}).status_code == 302


def test_login_does_not_redirect_off_site(app, client):
    make_account(app)
    response = client.post("/login?next=//evil.example/steal", data={"email": "fac@example.org",
                                                                     "password": PASSWORD})
    assert response.headers["Location"] == "/workshops"


def test_forms_need_a_csrf_token(tmp_path):
    from facilitator import create_app
    from facilitator.extensions import db

    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"})
    with app.app_context():
        db.create_all()
    make_account(app)
    client = app.test_client()
    response = client.post("/login", data={"email": "fac@example.org", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    with app.app_context():
        db.engine.dispose()


def test_create_facilitator_command(app, tmp_path, monkeypatch):
    from facilitator.cli import cli

    monkeypatch.setenv("FACILITATOR_INSTANCE_PATH", str(tmp_path / "inst"))
    runner = CliRunner()
    result = runner.invoke(cli, ["create-facilitator", "--email", "a@example.org", "--name", "Ann",
                                 "--password", "long enough password"])
    assert result.exit_code == 0, result.output
    assert "Created facilitator a@example.org" in result.output
    again = runner.invoke(cli, ["create-facilitator", "--email", "A@example.org", "--name", "Ann",
                                "--password", "long enough password"])
    assert again.exit_code != 0 and "already an account" in again.output
