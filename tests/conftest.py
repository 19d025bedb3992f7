"""Fixtures that read like a workshop: a facilitator, a workshop, phones that join it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from facilitator import create_app
from facilitator.extensions import db, socketio

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Any) -> Iterator[Flask]:
    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
            "WTF_CSRF_ENABLED": False,
            "COMMAND_RATE": 1000,
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_account(app: Flask, email: str = "fac@example.org", name: str = "Fran Facilitator") -> int:
    from facilitator.auth.services import create_facilitator

    with app.app_context():
        return create_facilitator(name, email, PASSWORD).id


def login(client: FlaskClient, email: str = "fac@example.org") -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def facilitator(app: Flask, client: FlaskClient) -> FlaskClient:
    """A signed-in facilitator's browser."""
    make_account(app)
    login(client)
    return client


@pytest.fixture
def make_workshop(app: Flask, facilitator: FlaskClient) -> Callable[..., dict[str, Any]]:
    def make(title: str = "North Vale system summit", activities: tuple[str, ...] = ("check_in",),
             open_first: bool = True, stage_first: bool = True) -> dict[str, Any]:
        response = facilitator.post("/workshops/new", data={"title": title, "purpose": "Work as one system"})
        assert response.status_code == 302
        workshop_id = int(re.search(r"/workshops/(\d+)", response.headers["Location"]).group(1))
        for kind in activities:
            facilitator.post(f"/workshops/{workshop_id}/activities",
                             data={"kind": kind, "title": "", "prompt": "How are you arriving?"})
        from facilitator.workshops import services
        from facilitator.workshops.models import ActivityPhase, Workshop

        with app.app_context():
            workshop = db.session.get(Workshop, workshop_id)
            activity_ids = [a.id for a in workshop.activities]
            if activity_ids and stage_first:
                services.stage_activity(workshop, workshop.activities[0], by=None)
            if activity_ids and open_first:
                services.set_activity_phase(workshop.activities[0], ActivityPhase.OPEN, by=None)
            code = workshop.code
        return {"id": workshop_id, "code": code, "activities": activity_ids}

    return make


@pytest.fixture
def phone(app: Flask) -> Callable[..., FlaskClient]:
    """A new phone (its own cookies) that joins a workshop by code."""

    def join(code: str, name: str = "", organisation: str = "", sector: str = "") -> FlaskClient:
        browser = app.test_client()
        response = browser.post(f"/j/{code}", data={"display_name": name, "organisation": organisation,
                                                    "sector": sector})
        assert response.status_code == 302 and response.headers["Location"].endswith("/live"), response.status
        return browser

    return join


@pytest.fixture
def sockets(app: Flask) -> Iterator[Callable[..., Any]]:
    """Socket.IO test clients riding on an HTTP client's cookies."""
    opened: list[Any] = []

    def connect(browser: FlaskClient, workshop_id: int, role: str = "participant") -> Any:
        sio = socketio.test_client(app, flask_test_client=browser, auth={"workshop": workshop_id, "role": role})
        opened.append(sio)
        return sio

    yield connect
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


def names(received: list[dict[str, Any]]) -> list[str]:
    return [m["name"] for m in received]


def ack(sio: Any, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    result = sio.emit(name, payload if payload is not None else {}, callback=True)
    assert isinstance(result, dict), result
    return result


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Browser tests last: they are the slowest, and the rest should report first."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
