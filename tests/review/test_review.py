"""Leaders' review: the dashboard, review links (valid, withdrawn, expired, wrong workshop), names
hidden unless a link allows them, every view logged, the report and its PDF."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from facilitator.db import utcnow
from facilitator.extensions import db
from tests.conftest import login, make_account
from tests.review.seed import seed

NAMES = ["Alice Aardvark", "Bob Bramble", "Cara Cobalt", "Dev Dandelion", "Eve Elderflower"]


@pytest.fixture
def workshop(app, make_workshop) -> dict[str, Any]:
    ws = make_workshop(title="North Vale system summit", activities=(), open_first=False, stage_first=False)
    from facilitator.auth.models import Facilitator
    from facilitator.workshops.models import ModerationEntry, Workshop

    with app.app_context():
        w = db.session.get(Workshop, ws["id"])
        owner = db.session.scalars(db.select(Facilitator)).first()
        ws["activities"] = seed(w, NAMES, owner=owner)
        from facilitator.activities.check_in.models import CheckInAnswer

        hostile = CheckInAnswer(
            activity_id=ws["activities"]["check_in"],
            participant_id=1,
            text="<script>alert(1)</script> & more",
        )
        hidden = CheckInAnswer(
            activity_id=ws["activities"]["check_in"],
            participant_id=2,
            text="Call Bob on 07700 900123",
            is_hidden=True,
        )
        db.session.add_all([hostile, hidden])
        db.session.flush()
        db.session.add(
            ModerationEntry(
                workshop_id=w.id,
                activity_id=ws["activities"]["check_in"],
                item_type="answer",
                item_id=hidden.id,
                action="hide",
                reason="Personal phone number",
                item_text=hidden.text,
                facilitator_id=owner.id,
            )
        )
        db.session.commit()
    return ws


def make_link(facilitator, workshop_id: int, **form: Any) -> str:
    response = facilitator.post(f"/workshops/{workshop_id}/review/links", data=form)
    assert response.status_code == 302
    page = facilitator.get(f"/workshops/{workshop_id}/review/links").get_data(as_text=True)
    url = re.search(r'value="(http[^"]+/r/([^"]+))"', page)
    assert url, "the new link is shown once"
    assert url.group(1) not in facilitator.get(f"/workshops/{workshop_id}/review/links").get_data(
        as_text=True
    )
    return url.group(2)


def pdf_text(body: bytes) -> tuple[list[str], str]:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(body)).pages]
    return pages, "\n".join(pages)


def test_the_facilitator_sees_who_took_part_and_every_activity(facilitator, workshop):
    html = facilitator.get(f"/workshops/{workshop['id']}/review").get_data(as_text=True)
    assert "Who took part" in html and "North Vale Council" in html and "Housing" in html
    for title in (
        "Arrival check-in",
        "Who shapes mental health in North Vale",
        "Open Space on crisis care",
        "How we avoid the hard work",
        "Our 90-day commitments",
    ):
        assert title in html
    assert html.count("<svg") >= 5  # two mix charts, map, bars, tree
    assert "Open a crisis café in town 1" in html  # ranked actions
    assert "Alice Aardvark" in html  # the facilitator sees names
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>alert" not in html
    assert "07700 900123" not in html  # hidden items stay hidden
    console = facilitator.get(f"/workshops/{workshop['id']}").get_data(as_text=True)
    assert f'href="/workshops/{workshop["id"]}/review"' in console


def test_a_review_link_without_names_shows_no_participant_name_anywhere(app, facilitator, client, workshop):
    token = make_link(facilitator, workshop["id"], label="ICS board", days="30")
    reader = app.test_client()
    dashboard = reader.get(f"/r/{token}")
    assert dashboard.status_code == 200
    assert dashboard.headers["Referrer-Policy"] == "no-referrer"
    report = reader.get(f"/r/{token}/report").get_data(as_text=True)
    html = dashboard.get_data(as_text=True)
    assert "Who shapes mental health in North Vale" in html and "Person 1" in html
    assert "Personal phone number" in report and "07700" not in report
    for name in NAMES:
        for part in (name, name.split()[1]):
            assert part not in html, part
            assert part not in report, part
    assert "Fran Facilitator" not in report


def test_a_link_that_allows_names_shows_them_where_the_room_saw_them(app, facilitator, workshop):
    token = make_link(facilitator, workshop["id"], label="Steering group", allow_names="1")
    html = app.test_client().get(f"/r/{token}").get_data(as_text=True)
    assert "Alice Aardvark" in html and "Person 1" not in html


def test_withdrawn_expired_and_unknown_links_open_nothing_and_views_are_logged(app, facilitator, workshop):
    from facilitator.review.models import ReviewLink

    token = make_link(facilitator, workshop["id"], label="Chief executives")
    reader = app.test_client()
    assert reader.get(f"/r/{token}").status_code == 200
    assert reader.get(f"/r/{token}/report").status_code == 200
    page = facilitator.get(f"/workshops/{workshop['id']}/review/links").get_data(as_text=True)
    assert "Chief executives" in page and ">2 <" in page.replace("\n", "")  # two views, listed
    assert "Report" in page

    with app.app_context():
        link = db.session.scalars(db.select(ReviewLink)).one()
        assert link.token_hash != token and token not in link.token_hash  # only a hash is kept
        link_id = link.id
    assert facilitator.post(f"/workshops/{workshop['id']}/review/links/{link_id}/revoke").status_code == 302
    withdrawn = reader.get(f"/r/{token}")
    assert withdrawn.status_code == 410 and "withdrawn" in withdrawn.get_data(as_text=True)
    assert reader.get(f"/r/{token}/report.pdf").status_code == 410

    expiring = make_link(facilitator, workshop["id"], label="Later", days="1")
    assert reader.get(f"/r/{expiring}").status_code == 200
    with app.app_context():
        link = db.session.scalars(db.select(ReviewLink).where(ReviewLink.label == "Later")).one()
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = reader.get(f"/r/{expiring}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert reader.get("/r/not-a-real-token").status_code == 404
    with app.app_context():
        from facilitator.review.models import ReviewView

        assert (
            db.session.scalar(db.select(db.func.count()).select_from(ReviewView)) == 3
        )  # refusals not logged
    assert (
        facilitator.post(f"/workshops/{workshop['id']}/review/links", data={"days": "0"}).status_code == 302
    )


def test_a_link_reaches_only_its_own_workshop(app, facilitator, make_workshop, workshop):
    other = make_workshop(title="South Vale away day", activities=("check_in",))
    token = make_link(facilitator, workshop["id"])
    html = app.test_client().get(f"/r/{token}").get_data(as_text=True)
    assert "North Vale system summit" in html and "South Vale away day" not in html
    from facilitator.review.models import ReviewLink

    with app.app_context():
        link_id = db.session.scalars(db.select(ReviewLink)).one().id
    # revoking it through another workshop does nothing
    assert facilitator.post(f"/workshops/{other['id']}/review/links/{link_id}/revoke").status_code == 404
    assert app.test_client().get(f"/r/{token}").status_code == 200
    # another facilitator sees nothing of this workshop
    make_account(app, email="other@example.org", name="Olu Other")
    stranger = app.test_client()
    login(stranger, "other@example.org")
    for path in ("review", "report", "report.pdf", "review/links"):
        assert stranger.get(f"/workshops/{workshop['id']}/{path}").status_code == 404
    assert stranger.post(f"/workshops/{workshop['id']}/review/links", data={}).status_code == 404
    assert stranger.post(f"/workshops/{workshop['id']}/review/links/{link_id}/revoke").status_code == 404
    # and nobody signed out reaches the facilitator's pages
    assert app.test_client().get(f"/workshops/{workshop['id']}/review").status_code == 302


def test_the_report_pdf_has_every_section_the_title_on_every_page_and_page_numbers(
    app, facilitator, workshop
):
    response = facilitator.get(f"/workshops/{workshop['id']}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages, text = pdf_text(response.data)
    flat = " ".join(text.split())
    for heading in (
        "Agenda",
        "Who took part",
        "Findings in plain language",
        "Moderation log",
        "Data appendices",
        "Arrival check-in",
        "Who shapes mental health in North Vale",
        "Open Space on crisis care",
        "How we avoid the hard work",
        "Our 90-day commitments",
        "What the map shows",
        "Proposed actions, ranked",
        "Follow-through",
        "Personal phone number",
        "Appendix 1",
    ):
        assert heading in flat, heading
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert "North Vale system summit" in page
        assert f"{number} / {len(pages)}" in page
    html = facilitator.get(f"/workshops/{workshop['id']}/report").get_data(as_text=True)
    assert "Call Bob on 07700 900123" in html  # the facilitator's report shows what was hidden


def test_a_reviewer_pdf_without_names_has_none(app, facilitator, workshop):
    token = make_link(facilitator, workshop["id"])
    response = app.test_client().get(f"/r/{token}/report.pdf?download=1")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    _pages, text = pdf_text(response.data)
    assert "Who took part" in text and "Our 90-day commitments" in text
    flat = " ".join(text.split())
    for name in NAMES:
        assert name.split()[1] not in flat
