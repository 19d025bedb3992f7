"""Fixtures that read like a workshop: a facilitator, a workshop, phones that join it."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from facilitator import create_app
from facilitator.extensions import db, socketio

PASSWORD = "correct horse battery"


def _database(tmp_path: Any) -> tuple[dict[str, Any], Callable[[Callable[[], None]], None]]:
    """SQLite in the test's tmp folder by default; with FACILITATOR_TEST_DATABASE_URL (PostgreSQL), a
    fresh schema of that database for each test, dropped afterwards."""
    url = os.environ.get("FACILITATOR_TEST_DATABASE_URL")
    if not url:
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}"}, lambda close: close()
    import sqlalchemy as sa

    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    before = set(threading.enumerate())

    def finish(close: Callable[[], None]) -> None:
        # Background work (coalesced counters, map analysis) must end before its schema goes.
        deadline = time.monotonic() + 15
        for thread in set(threading.enumerate()) - before:
            thread.join(max(0.0, deadline - time.monotonic()))
        close()
        drop()

    # The schema goes in the URL itself, so a test can hand the URL to a subprocess; no fsync wait on
    # each commit: a test database need not survive a power cut.
    options = quote(f"-c search_path={schema} -c synchronous_commit=off")
    return {"SQLALCHEMY_DATABASE_URI": f"{url}{'&' if '?' in url else '?'}options={options}"}, finish


@pytest.fixture
def app_config() -> dict[str, Any]:
    """More configuration for the ``app`` fixture: a test folder overrides this to change a setting."""
    return {}


@pytest.fixture
def app(tmp_path: Any, app_config: dict[str, Any]) -> Iterator[Flask]:
    database, finish = _database(tmp_path)
    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            **database,
            "WTF_CSRF_ENABLED": False,
            "COMMAND_RATE": 1000,
            # The map's one-second background re-layout is exercised by the browser tests on a real
            # server; in the test-client tests it would race the assertions.
            "MAP_AUTO_SETTLE": False,
            **app_config,
        }
    )
    with app.app_context():
        db.create_all()
    yield app

    def close() -> None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    finish(close)


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
