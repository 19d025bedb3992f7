"""A leader opens the review dashboard through a review link on a laptop and on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations
from tests.live import create_workshop, csrf, facilitator_session, join


def _tables_until_the_migration_has_them(instance) -> None:
    """The review tables are new; until the schema migration is regenerated, create them here."""
    from facilitator import create_app
    from facilitator.extensions import db
    from facilitator.review.models import ReviewLink, ReviewView

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'facilitator.db'}",
            "TESTING": True,
            "SECRET_KEY": "e2e-only",
        }
    )
    with app.app_context():
        db.metadata.create_all(
            db.engine, tables=[ReviewLink.__table__, ReviewView.__table__], checkfirst=True
        )
        db.engine.dispose()


def test_a_leader_reads_the_review_through_a_link(browser, live_server, artifacts):
    url = live_server.url
    _tables_until_the_migration_has_them(live_server.instance)
    s = facilitator_session(url)
    ws = create_workshop(s, url, title="North Vale review day", kinds=("check_in", "commitment_tree"))
    join(url, ws["code"], "Zara Quill")
    page = s.get(f"{url}/workshops/{ws['id']}/review/links").text
    made = s.post(
        f"{url}/workshops/{ws['id']}/review/links", data={"csrf_token": csrf(page), "label": "ICS board"}
    )
    assert made.status_code == 200, made.text[-2000:]
    links = made.text  # redirected to the links page, which shows the new link once
    link = re.search(r'value="(http[^"]+/r/[^"]+)"', links).group(1)  # type: ignore[union-attr]
    link = url + link[link.index("/r/") :]

    laptop = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    leader = laptop.new_page()
    opened = leader.goto(link)
    assert opened is not None and opened.status == 200, (link, opened and opened.text()[-1500:])
    expect(leader.get_by_role("heading", name="North Vale review day")).to_be_visible()
    expect(leader.get_by_role("heading", name="Who took part")).to_be_visible()
    expect(leader.locator(".rv-section")).to_have_count(2)
    assert "Zara Quill" not in leader.content()
    assert axe_violations(leader) == []
    artifacts.joinpath("review-dashboard-1280.png").write_bytes(leader.screenshot(full_page=True))
    leader.get_by_role("link", name="Open the full report").click()
    expect(leader.get_by_role("heading", name="Moderation log")).to_be_visible()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.goto(link)
    expect(mobile.get_by_role("heading", name="Who took part")).to_be_visible()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    artifacts.joinpath("review-dashboard-390.png").write_bytes(mobile.screenshot(full_page=True))

    views = s.get(f"{url}/workshops/{ws['id']}/review/links").text
    assert "ICS board" in views and "Report" in views
    laptop.close()
    phone.close()
