"""Series of workshops (issue 6, item 6): a facilitator groups their own workshops; the series page
shows, in date order, the work-avoidance profile per form, commitment follow-through and how the
stakeholder network grew. Another facilitator's workshops can neither be added nor seen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from facilitator.extensions import db
from tests.conftest import login, make_account


def _fill(app: Any, workshop_id: int, *, rating: int, statuses: list[str], ties: list[tuple[str, str]],
          starts_on: str) -> None:
    """Five participants; every one rates the checklist's first form ``rating``; one commitment per
    status; a map of Xena (Org A), Yusuf and Zara (Org B) with the given ties."""
    from facilitator.activities.commitment_tree.models import Commitment
    from facilitator.activities.stakeholder_map.models import Relationship, Stakeholder
    from facilitator.activities.work_avoidance import services as wa_services
    from facilitator.activities.work_avoidance.models import WorkAvoidanceRating
    from facilitator.auth.models import Facilitator
    from facilitator.workshops import services
    from facilitator.workshops.models import Participant, Workshop

    with app.app_context():
        w = db.session.get(Workshop, workshop_id)
        w.starts_on = starts_on
        owner = db.session.scalars(db.select(Facilitator).order_by(Facilitator.id)).first()
        people = [Participant(workshop_id=w.id, display_name=f"P{i}", organisation="Org A") for i in range(5)]
        db.session.add_all(people)
        db.session.commit()
        wa = services.add_activity(w, "work_avoidance", "Avoidance", "", by=owner)
        ct = services.add_activity(w, "commitment_tree", "Commitments", "", by=owner)
        sm = services.add_activity(w, "stakeholder_map", "Map", "", by=owner)
        db.session.commit()
        first = str(wa_services.forms_of(wa)[0]["key"])
        for p in people:
            db.session.add(
                WorkAvoidanceRating(activity_id=wa.id, participant_id=p.id, form_key=first, rating=rating)
            )
        for p, status in zip(people, statuses, strict=False):
            db.session.add(Commitment(activity_id=ct.id, participant_id=p.id, text="Do it", status=status))
        nodes = {
            name: Stakeholder(activity_id=sm.id, name=name, kind="organisation", organisation=org, sector="")
            for name, org in (("Xena", "Org A"), ("Yusuf", "Org B"), ("Zara", "Org B"))
        }
        db.session.add_all(nodes.values())
        db.session.flush()
        for a, b in ties:
            db.session.add(Relationship(activity_id=sm.id, source_id=nodes[a].id, target_id=nodes[b].id,
                                        kind="works with", strength=2))
        db.session.commit()


@pytest.fixture
def two(app, make_workshop) -> dict[str, int]:
    """Spring (later) and Winter (earlier) workshops of one facilitator, created in that order."""
    spring = make_workshop(title="Spring cohort", activities=(), open_first=False, stage_first=False)["id"]
    winter = make_workshop(title="Winter cohort", activities=(), open_first=False, stage_first=False)["id"]
    _fill(app, winter, rating=1, statuses=["done", "in_progress", "not_started", "stuck"],
          ties=[("Xena", "Yusuf")], starts_on="2026-01-15")
    _fill(app, spring, rating=3, statuses=["done", "done"],
          ties=[("Xena", "Yusuf"), ("Yusuf", "Zara")], starts_on="2026-04-15")
    return {"spring": spring, "winter": winter}


def _create(client: Any, name: str, ids: list[int]) -> Any:
    return client.post("/series", data={"name": name, "workshop_ids": [str(i) for i in ids]})


def _cells(html: str, attr: str, value: Any) -> list[str]:
    row = re.search(rf'<tr {attr}="{value}">(.*?)</tr>', html, re.S)
    assert row, (attr, value)
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


def test_series_groups_workshops_and_shows_change_in_date_order(app, facilitator, two) -> None:
    assert 'href="/series"' in facilitator.get("/workshops").get_data(as_text=True)
    response = _create(facilitator, "North Vale programme", [two["spring"], two["winter"]])
    assert response.status_code == 302
    page_url = response.headers["Location"]
    html = facilitator.get(page_url).get_data(as_text=True)
    assert "North Vale programme" in html
    # date order, not creation order
    assert html.index("Winter cohort") < html.index("Spring cohort")
    assert "North Vale programme" in facilitator.get("/series").get_data(as_text=True)

    from facilitator.activities.work_avoidance import services as wa_services
    from facilitator.workshops.models import Activity

    with app.app_context():
        wa = db.session.scalars(db.select(Activity).where(Activity.kind == "work_avoidance")).first()
        first = str(wa_services.forms_of(wa)[0]["key"])
    form_row = _cells(html, "data-form", first)
    assert form_row[1:] == ["1.0", "3.0", "+2.0"]  # winter, spring, change

    assert _cells(html, "data-workshop", two["winter"])[:1] == ["Winter cohort"]
    commitments = re.search(r'id="series-commitments".*?</section>', html, re.S).group(0)
    network = re.search(r'id="series-network".*?</section>', html, re.S).group(0)
    assert _cells(commitments, "data-workshop", two["winter"])[1:] == ["4", "1 (25%)", "1 (25%)"]
    assert _cells(commitments, "data-workshop", two["spring"])[1:] == ["2", "2 (100%)", "0 (0%)"]
    # winter: 3 stakeholders, 1 tie (Xena-Yusuf, across organisations), Zara alone
    assert _cells(network, "data-workshop", two["winter"])[1:] == ["3", "1", "—", "1", "100%"]
    # spring: one new tie (Yusuf-Zara, inside Org B): no one alone, half the ties cross organisations
    spring = _cells(network, "data-workshop", two["spring"])
    assert spring[1:] == ["3", "2 (+1)", "1", "0 (−1)", "50% (−50 pts)"]

    # take one workshop out again
    series_id = int(page_url.rstrip("/").rsplit("/", 1)[1])
    facilitator.post(f"/series/{series_id}", data={"name": "Renamed", "workshop_ids": [str(two["winter"])]})
    html = facilitator.get(f"/series/{series_id}").get_data(as_text=True)
    assert "Renamed" in html and 'data-workshop="{}"'.format(two["spring"]) not in html


def test_only_the_owners_workshops(app, client, facilitator, two) -> None:
    make_account(app, "other@example.org", "Olu Other")
    other = app.test_client()
    login(other, "other@example.org")
    # the other facilitator cannot put someone else's workshop in their series
    response = _create(other, "Mine", [two["winter"]])
    html = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "Winter cohort" not in html
    # nor open someone else's series
    response = _create(facilitator, "North Vale programme", [two["winter"]])
    url = response.headers["Location"]
    assert other.get(url).status_code == 404
    series_id = int(url.rstrip("/").rsplit("/", 1)[1])
    assert other.post(f"/series/{series_id}", data={"name": "Taken", "workshop_ids": []}).status_code == 404
    assert other.post(f"/series/{series_id}/delete").status_code == 404
    assert "North Vale programme" in facilitator.get(url).get_data(as_text=True)
    # signed out: to the login page
    assert app.test_client().get(url).status_code in (302, 401)
    # deleting the series leaves the workshop
    facilitator.post(f"/series/{series_id}/delete")
    assert facilitator.get(url).status_code == 404
    assert facilitator.get(f"/workshops/{two['winter']}/review").status_code == 200
