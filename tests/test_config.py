from __future__ import annotations

import pytest

from facilitator import create_app
from facilitator.config import DEV_SECRET_KEY


def test_a_secret_key_is_generated_once_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("FACILITATOR_SECRET_KEY", raising=False)
    monkeypatch.setenv("FACILITATOR_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_refuses_the_development_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FACILITATOR_SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(RuntimeError, match="development secret key"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENV_NAME": "development"})
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


def test_environment_and_instance_config_layers(tmp_path, monkeypatch):
    monkeypatch.setenv("FACILITATOR_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("PUBLIC_URL = 'http://from-instance:5000'\nJOIN_WINDOW = 60\n")
    monkeypatch.setenv("FACILITATOR_JOIN_WINDOW", "120")
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", "postgresql://u@localhost/db")
    app = create_app()
    assert app.config["PUBLIC_URL"] == "http://from-instance:5000"
    assert app.config["JOIN_WINDOW"] == 120  # environment beats the instance file
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@localhost/db"


def test_pages_send_a_strict_content_security_policy(client):
    csp = client.get("/join").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_nul_characters_are_refused_with_a_clear_error(client, make_workshop, phone, sockets):
    ws = make_workshop()
    assert client.post(f"/j/{ws['code']}", data={"display_name": "\x00"}).status_code == 400
    alice = sockets(phone(ws["code"], "Alice"), ws["id"])
    result = alice.emit("checkin:answer", {"activity_id": ws["activities"][0], "text": "a\x00b"}, callback=True)
    assert result["ok"] is False and result["error"]["code"] == "invalid"
