"""An Open Space marketplace from three phones, arranged on the agenda wall, shown on the big screen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.test_workshop_live import PHONE, sign_in
from tests.live import LiveServer, create_workshop, facilitator_session


def ensure_open_space_schema(database: str) -> None:
    """Until the lead regenerates the migrations, add this kind's new tables and column to the served
    database (a no-op once the migrations carry them)."""
    from sqlalchemy import create_engine

    import facilitator.activities.open_space.models  # noqa: F401  (registers the tables)
    from facilitator.extensions import db

    engine = create_engine(f"sqlite:///{database}")
    tables = [t for name, t in db.metadata.tables.items() if name.startswith("open_space_")]
    db.metadata.create_all(engine, tables=tables)
    engine.dispose()
    with sqlite3.connect(database) as con:
        columns = {row[1] for row in con.execute("PRAGMA table_info(open_space_report)")}
        if "took_part" not in columns:
            con.execute("ALTER TABLE open_space_report ADD COLUMN took_part JSON NOT NULL DEFAULT '[]'")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("e2e-open-space")).start()
    ensure_open_space_schema(str(server.instance / "facilitator.db"))
    yield server
    server.stop()

TOPICS = {
    "Alice": ("One front door for crisis <b>calls</b>", "Police, A&E and the crisis team"),
    "Bob": ("Housing first after hospital", "Nobody discharged to a night shelter"),
    "Carol": ("Sharing data without waiting for lawyers", ""),
}


def join(phone, url, code, name):
    phone.goto(f"{url}/j/{code}")
    phone.get_by_label("Your name (optional)").fill(name)
    phone.get_by_role("button", name="Join the workshop").click()
    expect(phone.locator("#net")).to_have_text("Connected")


def test_marketplace_from_three_phones_onto_the_agenda_wall(browser, live_server, artifacts):
    url = live_server.url
    session = facilitator_session(url)
    ws = create_workshop(session, url, title="North Vale Open Space", kinds=("open_space",))

    fac_ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    console = fac_ctx.new_page()
    errors: list[str] = []
    fac_ctx.on("weberror", lambda e: errors.append(str(e.error)))
    sign_in(console, url)
    console.goto(f"{url}/workshops/{ws['id']}")
    expect(console.locator("#net")).to_have_text("Connected")
    console.get_by_role("button", name="Put on screen").first.click()
    console.get_by_role("button", name="Open", exact=True).first.click()
    console.wait_for_timeout(1500)
    assert errors == [], errors
    expect(console.locator(".os-steps").first).to_be_visible()
    screen = fac_ctx.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{url}/workshops/{ws['id']}/screen")
    expect(screen.locator("#net")).to_have_text("Connected")

    phone_ctxs = [browser.new_context(**PHONE) for _ in TOPICS]
    phones = dict(zip(TOPICS, (c.new_page() for c in phone_ctxs), strict=True))
    for name, page in phones.items():
        join(page, url, ws["code"], name)
        expect(page.locator(".os-steps [aria-current=step]")).to_contain_text("Marketplace")
    for name, (title, description) in TOPICS.items():
        page = phones[name]
        page.get_by_label("Topic", exact=True).fill(title)
        page.get_by_label("What is it about? (optional)").fill(description)
        page.get_by_role("button", name="Convene it").click()
        expect(screen.locator(".os-topic-title", has_text=title)).to_be_visible()
    # Everyone marks interest in the housing topic; Alice also likes data sharing.
    for name in ("Alice", "Carol"):
        card = phones[name].locator(".os-topic", has_text="Housing first")
        card.get_by_role("button", name="I'm interested").click()
        expect(card.get_by_role("button", name="Interested ✓")).to_be_visible()
    phones["Alice"].locator(".os-topic", has_text="Sharing data").get_by_role(
        "button", name="I'm interested"
    ).click()
    expect(screen.locator(".os-topic", has_text="Housing first")).to_contain_text("2 interested")
    expect(screen.locator(".os-topic-title").first).to_have_text(
        "Housing first after hospital"
    )  # most interest
    artifacts.joinpath("os-phone-marketplace-390x844.png").write_bytes(
        phones["Alice"].screenshot(full_page=True)
    )
    artifacts.joinpath("os-screen-marketplace-1920x1080.png").write_bytes(screen.screenshot())

    # The facilitator auto-arranges the agenda and moves everyone to the agenda step.
    console.get_by_role("button", name="Suggest an agenda").click()
    console.get_by_role("button", name="Accept suggestion").click()
    console.locator(".os-steps").first.wait_for()
    console.get_by_role("button", name="Agenda", exact=True).click()
    expect(screen.locator(".os-steps [aria-current=step]")).to_contain_text("Agenda")
    expect(screen.locator(".os-wall .os-topic-title")).to_have_count(3)
    expect(screen.locator(".os-wall")).to_contain_text(
        "One front door for crisis <b>calls</b>"
    )  # text, not HTML
    housing_row = screen.locator(
        ".os-wall tbody tr", has=screen.locator(".os-topic-title", has_text="Housing first")
    )
    expect(housing_row).not_to_contain_text("Sharing data")  # Alice wants both: different slots
    console.get_by_label("Now running").select_option(index=1)

    alice = phones["Alice"]
    alice.get_by_role("button", name="Sessions", exact=True).click()
    expect(alice.locator(".os-now-next")).to_contain_text("Now")
    alice.locator(".os-topic", has_text="Housing first").get_by_role("button", name="I'm here").click()
    expect(alice.locator(".os-topic", has_text="Housing first")).to_contain_text("You are here")
    expect(screen.locator(".os-wall .os-here").first).to_have_text("1 here")
    alice.get_by_role("button", name="Your sessions").click()
    expect(alice.get_by_role("link", name="Add my agenda to my calendar (.ics)")).to_be_visible()

    artifacts.joinpath("os-phone-now-next-390x844.png").write_bytes(alice.screenshot(full_page=True))
    artifacts.joinpath("os-screen-agenda-1920x1080.png").write_bytes(screen.screenshot())
    artifacts.joinpath("os-console-agenda-1440x900.png").write_bytes(console.screenshot(full_page=True))
    for ctx in [*phone_ctxs, fac_ctx]:
        ctx.close()
