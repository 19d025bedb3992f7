"""Six people who want in: nobody, a participant and facilitator of another workshop, a participant, a
reviewer and the facilitator of a workshop with every kind of activity in it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from facilitator.extensions import db, socketio
from tests.archive.conftest import ok, rich_workshop  # noqa: F401  (the fixture is reused as is)
from tests.conftest import PASSWORD, ack, make_account

ROLES = ("nobody", "other_participant", "participant", "reviewer", "other_facilitator", "facilitator")
DENIED_CODES = {"forbidden", "not_found", "unauthorised"}


def row_counts() -> dict[str, int]:
    """How many rows each table holds (the bookkeeping tables of the live protocol aside)."""
    skip = {"processed_command", "presence", "throttle"}
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in db.metadata.sorted_tables
        if t.name not in skip
    }


@pytest.fixture
def world(
    app: Flask,
    rich_workshop: Callable[[], dict[str, Any]],  # noqa: F811
    phone,
    sockets,
    facilitator,
) -> dict[str, Any]:
    from facilitator.activities.commitment_tree.services import ensure_link
    from facilitator.activities.open_space.models import Slot, Space
    from facilitator.activities.work_avoidance.models import Checklist
    from facilitator.auth.models import Facilitator
    from facilitator.review.services import create_link
    from facilitator.workshops.models import Activity, Participant

    ws = rich_workshop()
    check_in, smap, ospace, wa, tree = ws["activities"]

    # The participant whose browser we keep: joins, commits, and so owns a follow-up link.
    me = phone(ws["code"], "Dee Rowe", "Vale Council", "Local government")
    my_socket = sockets(me, ws["id"])
    mine = ok(ack(my_socket, "commitment:post", {"activity_id": tree, "text": "Share our budget early"}))[
        "id"
    ]
    my_topic = ok(ack(my_socket, "topic:propose", {"activity_id": ospace, "title": "Pooled budgets"}))["id"]

    # Another facilitator with a workshop of their own, and a participant of that workshop.
    make_account(app, "other@example.org", "Otto Other")
    other_fac = app.test_client()
    assert (
        other_fac.post("/login", data={"email": "other@example.org", "password": PASSWORD}).status_code == 302
    )
    response = other_fac.post("/workshops/new", data={"title": "Elsewhere", "purpose": "Other things"})
    other_ws = int(re.search(r"/workshops/(\d+)", response.headers["Location"]).group(1))
    for kind in ("check_in", "commitment_tree"):
        other_fac.post(f"/workshops/{other_ws}/activities", data={"kind": kind, "title": "", "prompt": "Hi"})
    with app.app_context():
        from facilitator.workshops import services
        from facilitator.workshops.models import ActivityPhase, Workshop

        workshop = db.session.get(Workshop, other_ws)
        other_code = workshop.code
        other_activities = [a.id for a in workshop.activities]
        for activity in workshop.activities:
            services.set_activity_phase(activity, ActivityPhase.OPEN, by=None)
    stranger = phone(other_code, "Sam Stranger")
    stranger_socket = sockets(stranger, other_ws)
    their_commitment = ok(
        ack(
            stranger_socket, "commitment:post", {"activity_id": other_activities[1], "text": "Elsewhere work"}
        )
    )["id"]
    other_fac_socket = sockets(other_fac, other_ws, role="facilitator")

    with app.app_context():
        workshop = db.session.get(Workshop, ws["id"])
        review_link, review_token = create_link(workshop, label="Board", allow_names=False, days=7, by=None)
        dee = db.session.scalars(select(Participant).where(Participant.display_name == "Dee Rowe")).one()
        my_token = ensure_link(db.session.get(Activity, tree), dee).token
        sam = db.session.scalars(select(Participant).where(Participant.display_name == "Sam Stranger")).one()
        their_token = ensure_link(db.session.get(Activity, other_activities[1]), sam).token
        db.session.commit()
        me_fac = db.session.scalars(select(Facilitator).where(Facilitator.email == "fac@example.org")).one()
        otto = db.session.scalars(select(Facilitator).where(Facilitator.email == "other@example.org")).one()
        checklist = Checklist(facilitator_id=me_fac.id, name="Ours", forms=[])
        db.session.add(checklist)
        db.session.commit()
        from facilitator.review.series import create_series

        series = create_series("Vale summits", [ws["id"]], by=me_fac)
        db.session.commit()
        ids = {
            "review_link": review_link.id,
            "participant": dee.id,
            "stranger": sam.id,
            "space": db.session.scalars(select(Space.id).where(Space.activity_id == ospace)).first(),
            "slot": db.session.scalars(select(Slot.id).where(Slot.activity_id == ospace)).first(),
            "checklist": checklist.id,
            "series": series.id,
            "other_facilitator": otto.id,
            "me_facilitator": me_fac.id,
        }

    reviewer = app.test_client()
    assert reviewer.get(f"/r/{review_token}").status_code == 200

    return {
        **ws,
        **ids,
        "check_in": check_in,
        "smap": smap,
        "ospace": ospace,
        "wa": wa,
        "tree": tree,
        "mine": mine,
        "my_topic": my_topic,
        "their_commitment": their_commitment,
        "review_token": review_token,
        "my_token": my_token,
        "their_token": their_token,
        "other_ws": other_ws,
        "other_code": other_code,
        "other_activities": other_activities,
        "clients": {
            "nobody": app.test_client(),
            "other_participant": stranger,
            "participant": me,
            "reviewer": reviewer,
            "other_facilitator": other_fac,
            "facilitator": facilitator,
        },
        "sockets": {
            "other_participant": stranger_socket,
            "participant": my_socket,
            "other_facilitator": other_fac_socket,
            "facilitator": ws["console"],
        },
    }


def try_connect(app: Flask, browser: Any, workshop_id: int, role: str) -> Any:
    return socketio.test_client(app, flask_test_client=browser, auth={"workshop": workshop_id, "role": role})
